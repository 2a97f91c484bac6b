# Kernels to motifs (paper section 3.2) and their known matches (section 3.3, Fig. 3).

MOTIFS = config["motifs"]


rule kernels_to_meme:
    input:
        info="results/dataset/dataset.json",
        weights="results/train/model.safetensors",
        arrays=expand("results/dataset/train.{ext}", ext=["codes.npy", "labels.npy"]),
    output:
        meme="results/motifs/kernels.meme",
        table="results/motifs/kernels.tsv",
    log:
        "logs/kernels_to_meme.log",
    benchmark:
        "benchmarks/kernels_to_meme.tsv"
    conda:
        "../envs/torch.yaml"
    threads: TRAIN["threads"]
    resources:
        mem_mb=8000,
        gpu=1 if USE_GPU else 0,
    params:
        max_sequences=MOTIFS["max_sequences"],
        seed=config["dataset"]["seed"],
    script:
        "../workflow/scripts/kernels_to_meme.py"


rule plot_kernel_logos:
    input:
        meme="results/motifs/kernels.meme",
    output:
        pdf="results/motifs/kernel_logos.pdf",
        png=report(
            "results/motifs/kernel_logos.png",
            caption="../report/kernel_logos.rst",
            category="3. Motifs",
        ),
    log:
        "logs/plot_kernel_logos.log",
    benchmark:
        "benchmarks/plot_kernel_logos.tsv"
    conda:
        "../envs/motifs.yaml"
    resources:
        mem_mb=2000,
    params:
        overview=40,
    script:
        "../workflow/scripts/plot_kernel_logos.py"


rule fetch_known_motifs:
    output:
        meme="resources/motifs/{release}_{collection}_{tax_group}.meme",
    log:
        "logs/fetch_known_motifs/{release}_{collection}_{tax_group}.log",
    wildcard_constraints:
        release=r"JASPAR\d{4}",
        tax_group=r"[^_]+",
    conda:
        "../envs/motifs.yaml"
    resources:
        mem_mb=500,
    params:
        release="{release}",
        collection="{collection}",
        tax_group="{tax_group}",
    script:
        "../workflow/scripts/fetch_known_motifs.py"


rule tomtom_known_motifs:
    input:
        kernels="results/motifs/kernels.meme",
        database=lambda wc: known_motif_files(),
        program=motif_program("meme", ["tomtom"], "results/motifs/tomtom.tsv"),
    output:
        tsv="results/motifs/tomtom.tsv",
    log:
        "logs/tomtom_known_motifs.log",
    benchmark:
        "benchmarks/tomtom_known_motifs.tsv"
    conda:
        "../envs/meme.yaml" if "meme" in motif_tools() else "../envs/motifs.yaml"
    # MEME's tomtom runs on one thread
    threads: 1 if "meme" in motif_tools() else TRAIN["threads"]
    resources:
        mem_mb=4000,
    params:
        engine="meme" if "meme" in motif_tools() else "builtin",
        dist=MOTIFS["dist"],
        min_overlap=MOTIFS["min_overlap"],
        evalue=MOTIFS["evalue"],
    script:
        "../workflow/scripts/tomtom_known_motifs.py"


rule summarize_matches:
    input:
        tomtom="results/motifs/tomtom.tsv",
        kernels="results/motifs/kernels.meme",
        database=lambda wc: known_motif_files(),
    output:
        table=report(
            "results/motifs/matches.tsv",
            caption="../report/matches.rst",
            category="3. Motifs",
        ),
        png=report(
            "results/motifs/known_matches.png",
            caption="../report/known_matches.rst",
            category="3. Motifs",
        ),
        pdf="results/motifs/known_matches.pdf",
    log:
        "logs/summarize_matches.log",
    conda:
        "../envs/motifs.yaml"
    resources:
        mem_mb=1000,
    params:
        evalue=MOTIFS["evalue"],
        top=MOTIFS["top_figures"],
    script:
        "../workflow/scripts/summarize_matches.py"
