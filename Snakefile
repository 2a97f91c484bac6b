# DeepCons: learn what makes DNA conserved with a CNN, and read biology out of it.
# Li, Quang & Xie (2017), "Understanding sequence conservation with deep learning".
#
#   snakemake --cores all                 the embedded demo (config.yaml)
#   snakemake --cores all --configfile config/hg19.yaml      the paper at full scale
#   snakemake dataset | train | motifs | positional | interpret | clustering
#
# Stages live in rules/*.smk; each rule runs a thin script in workflow/scripts/ that calls
# the deepcons library (workflow/scripts/deepcons/).

import os

from snakemake.utils import min_version

min_version("8.0")

# Intel MKL's results depend on the memory alignment of their inputs unless its conditional
# numerical reproducibility is on: without it, training on CPU differs from run to run.
os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")


# The demo config beside this file, whatever the working directory, unless the command line
# names config files: those replace it (rather than being merged into the demo's paths).
if not workflow.config_settings.configfiles:

    configfile: os.path.join(workflow.basedir, "config.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/resources.smk"
include: "rules/dataset.smk"
include: "rules/train.smk"
include: "rules/motifs.smk"
include: "rules/positional.smk"
include: "rules/interpret.smk"
include: "rules/clustering.smk"


rule all:
    default_target: True
    input:
        all_targets(),


rule dataset:
    input:
        dataset_targets(),


rule train:
    input:
        train_targets(),


rule motifs:
    input:
        motif_targets(),


if not positional_targets():  # say why `snakemake positional` has nothing to do
    logger.info(
        "the positional analysis is off: it needs input.genome and input.genes "
        "(TSS and TES anchors)"
    )


rule positional:
    input:
        positional_targets(),


rule interpret:
    input:
        interpret_targets(),


rule clustering:
    input:
        clustering_targets(),
