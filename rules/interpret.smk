# Nucleotide-level scores: saliency maps (paper section 3.5, Fig. 6), in-silico
# mutagenesis, and variant effects.

INTERPRET = config["interpret"]


rule compute_saliency:
    input:
        unpack(interpret_inputs),
        weights="results/train/model.safetensors",
    output:
        tsv="results/interpret/saliency.tsv",
        png=report(
            "results/interpret/saliency.png",
            caption="../report/saliency.rst",
            category="5. Nucleotide scores",
        ),
        pdf="results/interpret/saliency.pdf",
        html="results/interpret/saliency.html",
    log:
        "logs/compute_saliency.log",
    benchmark:
        "benchmarks/compute_saliency.tsv"
    conda:
        "../envs/torch.yaml"
    threads: TRAIN["threads"]
    resources:
        mem_mb=4000,
        gpu=1 if USE_GPU else 0,
    params:
        n_sequences=INTERPRET["saliency_count"],
        strands=INTERPRET["saliency_strands"],
    script:
        "../workflow/scripts/compute_saliency.py"


rule compute_ism:
    input:
        unpack(interpret_inputs),
        weights="results/train/model.safetensors",
    output:
        tsv="results/interpret/ism/ism.tsv",
        heatmaps=report(
            directory("results/interpret/ism/heatmaps"),
            patterns=["{name}.png"],
            caption="../report/ism.rst",
            category="5. Nucleotide scores",
        ),
    log:
        "logs/compute_ism.log",
    benchmark:
        "benchmarks/compute_ism.tsv"
    conda:
        "../envs/torch.yaml"
    threads: TRAIN["threads"]
    resources:
        mem_mb=4000,
        gpu=1 if USE_GPU else 0,
    params:
        n_sequences=INTERPRET["ism_count"],
    script:
        "../workflow/scripts/compute_ism.py"


# The VCF is read whole in a job of its own first: a bad one is refused (file, line) before
# Snakemake removes the earlier scores to rerun score_variants.
rule check_variants:
    input:
        vcf=lambda wc: resolve_path(INTERPRET["vcf"], "interpret.vcf"),
        genome="results/genome/genome.fa",
        fai="results/genome/genome.fa.fai",
    output:
        tsv="results/interpret/variants_checked.tsv",
    log:
        "logs/check_variants.log",
    benchmark:
        "benchmarks/check_variants.tsv"
    conda:
        "../envs/torch.yaml"
    resources:
        mem_mb=1000,
    params:
        window=variant_window(),
    script:
        "../workflow/scripts/check_variants.py"


rule score_variants:
    input:
        vcf=lambda wc: resolve_path(INTERPRET["vcf"], "interpret.vcf"),
        checked="results/interpret/variants_checked.tsv",
        genome="results/genome/genome.fa",
        fai="results/genome/genome.fa.fai",
        weights="results/train/model.safetensors",
    output:
        tsv=report(
            "results/interpret/variants.tsv",
            caption="../report/variants.rst",
            category="5. Nucleotide scores",
        ),
        skipped="results/interpret/variants_not_scored.tsv",
        vcf="results/interpret/variants.vcf",
    log:
        "logs/score_variants.log",
    benchmark:
        "benchmarks/score_variants.tsv"
    conda:
        "../envs/torch.yaml"
    threads: TRAIN["threads"]
    resources:
        mem_mb=4000,
        gpu=1 if USE_GPU else 0,
    params:
        window=variant_window(),
    script:
        "../workflow/scripts/score_variants.py"
