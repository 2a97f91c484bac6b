# Inputs: downloads, the normalised genome and the annotations as sorted BED6.


wildcard_constraints:
    key="|".join(re.escape(key) for key in URLS) or "no_download",


rule download_input:
    output:
        "resources/downloads/{key}/{filename}",
    log:
        "logs/download_input/{key}/{filename}.log",
    benchmark:
        "benchmarks/download_input/{key}/{filename}.tsv"
    conda:
        "../envs/dataset.yaml"
    resources:
        # streams to disk
        mem_mb=500,
    params:
        url=lambda wc: url_of_download(wc.key),
        label=lambda wc: config_label(wc.key),
    script:
        "../workflow/scripts/download_input.py"


rule prepare_genome:
    input:
        fasta=lambda wc: input_path("genome"),
    output:
        fasta="results/genome/genome.fa",
        fai="results/genome/genome.fa.fai",
        sizes="results/genome/chrom.sizes",
        gaps="results/genome/gaps.bed",
    log:
        "logs/prepare_genome.log",
    benchmark:
        "benchmarks/prepare_genome.tsv"
    conda:
        "../envs/dataset.yaml"
    resources:
        mem_mb=4000,
    script:
        "../workflow/scripts/prepare_genome.py"


rule select_chromosomes:
    input:
        sizes="results/genome/chrom.sizes",
    output:
        sizes="results/genome/selected.sizes",
    log:
        "logs/select_chromosomes.log",
    conda:
        "../envs/dataset.yaml"
    resources:
        mem_mb=500,
    params:
        pattern=config["input"]["chromosomes"],
    script:
        "../workflow/scripts/select_chromosomes.py"


ANNOTATION_KINDS = [
    k
    for k in ("conserved", "repeats", "genes", "coding_exons", "mirna")
    if has_input(k)
]


rule normalize_annotation:
    input:
        source=lambda wc: input_path(wc.kind),
        sizes="results/genome/chrom.sizes",
    output:
        bed="results/inputs/{kind}.bed",
    log:
        "logs/normalize_annotation/{kind}.log",
    benchmark:
        "benchmarks/normalize_annotation/{kind}.tsv"
    wildcard_constraints:
        kind="|".join(ANNOTATION_KINDS) or "none",
    conda:
        "../envs/dataset.yaml"
    resources:
        # hg19 RepeatMasker: 5.5 M rows, about 0.5 GB per million
        mem_mb=4000,
    params:
        chromosomes=config["input"]["chromosomes"],
        unknown_chromosomes=config["input"]["unknown_chromosomes"],
    script:
        "../workflow/scripts/normalize_annotation.py"


if not has_input("coding_exons"):

    rule derive_coding_exons:
        input:
            source=lambda wc: input_path("genes"),
            sizes="results/genome/chrom.sizes",
        output:
            bed="results/inputs/coding_exons.bed",
        log:
            "logs/derive_coding_exons.log",
        benchmark:
            "benchmarks/derive_coding_exons.tsv"
        conda:
            "../envs/dataset.yaml"
        resources:
            mem_mb=2000,
        params:
            chromosomes=config["input"]["chromosomes"],
            unknown_chromosomes=config["input"]["unknown_chromosomes"],
        script:
            "../workflow/scripts/normalize_annotation.py"
