# The data set (paper section 5.2): conserved and background intervals, encoded and split.

DS = config["dataset"]


rule merge_conserved:
    input:
        conserved=annotation_bed("conserved"),
        repeats=annotation_bed("repeats"),
        coding_exons=annotation_bed("coding_exons"),
        sizes="results/genome/selected.sizes",
        genome="results/genome/genome.fa",
        fai="results/genome/genome.fa.fai",
    output:
        bed="results/dataset/conserved.bed",
        steps="results/dataset/conserved_steps.tsv",
    log:
        "logs/merge_conserved.log",
    benchmark:
        "benchmarks/merge_conserved.tsv"
    conda:
        "../envs/dataset.yaml"
    resources:
        mem_mb=4000,
    params:
        flank=DS["flank"],
        min_length=DS["min_length"],
        max_length=DS["max_length"],
        max_n_fraction=DS["max_n_fraction"],
    script:
        "../workflow/scripts/merge_conserved.py"


rule shuffle_background:
    input:
        conserved="results/dataset/conserved.bed",
        elements=annotation_bed("conserved"),
        repeats=annotation_bed("repeats"),
        coding_exons=annotation_bed("coding_exons"),
        gaps="results/genome/gaps.bed",
        sizes="results/genome/selected.sizes",
        genome="results/genome/genome.fa",
        fai="results/genome/genome.fa.fai",
    output:
        bed="results/dataset/background.bed",
        steps="results/dataset/background_steps.tsv",
    log:
        "logs/shuffle_background.log",
    benchmark:
        "benchmarks/shuffle_background.tsv"
    conda:
        "../envs/dataset.yaml"
    resources:
        mem_mb=8000,  # bedtools shuffle holds the exclusions: about 3 GB on hg19
    params:
        seed=DS["seed"],
        max_tries=DS["shuffle_max_tries"],
        max_n_fraction=DS["max_n_fraction"],
    script:
        "../workflow/scripts/shuffle_background.py"


rule encode_dataset:
    input:
        unpack(encode_inputs),
    output:
        info="results/dataset/dataset.json",
        files=expand(
            "results/dataset/{split}.{ext}",
            split=SPLITS,
            ext=["seq", "codes.npy", "labels.npy", "index.tsv"],
        ),
    log:
        "logs/encode_dataset.log",
    benchmark:
        "benchmarks/encode_dataset.tsv"
    conda:
        "../envs/dataset.yaml"
    resources:
        mem_mb=8000,
    params:
        mode=MODE,
        pad_length=DS["pad_length"],
        spacer_length=DS["spacer_length"],
        split=canonical(DS["split"]),
        seed=DS["seed"],
    script:
        "../workflow/scripts/encode_dataset.py"


STEP_SETS = ["conserved", "background"] if MODE == "genome" else []


rule summarize_dataset:
    input:
        index=expand("results/dataset/{split}.index.tsv", split=SPLITS),
        steps=expand("results/dataset/{name}_steps.tsv", name=STEP_SETS),
    output:
        summary=report(
            "results/dataset/summary.tsv",
            caption="../report/dataset_splits.rst",
            category="1. Dataset",
        ),
        steps=report(
            "results/dataset/steps.tsv",
            caption="../report/dataset_steps.rst",
            category="1. Dataset",
        ),
        png=report(
            "results/dataset/summary.png",
            caption="../report/dataset_summary.rst",
            category="1. Dataset",
        ),
        pdf="results/dataset/summary.pdf",
    log:
        "logs/summarize_dataset.log",
    benchmark:
        "benchmarks/summarize_dataset.tsv"
    conda:
        "../envs/dataset.yaml"
    resources:
        mem_mb=2000,
    params:
        step_sets=STEP_SETS,
    script:
        "../workflow/scripts/summarize_dataset.py"
