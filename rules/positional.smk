# Positional and strand bias of the kernels around TSSs, TESs and miRNA hairpins
# (paper section 3.4, Figs. 4 and 5).

POS = config["positional"]


rule extract_windows:
    input:
        anchors=lambda wc: annotation_bed("mirna" if wc.anchor == "mirna" else "genes"),
        sizes="results/genome/chrom.sizes",
        gaps="results/genome/gaps.bed",
        genome="results/genome/genome.fa",
        fai="results/genome/genome.fa.fai",
    output:
        fasta=temp("results/positional/{anchor}/windows.fa"),  # 0.2 GB per anchor on hg19
        table="results/positional/{anchor}/windows.tsv",
        counts="results/positional/{anchor}/window_counts.tsv",
    log:
        "logs/extract_windows/{anchor}.log",
    benchmark:
        "benchmarks/extract_windows/{anchor}.tsv"
    wildcard_constraints:
        anchor="tss|tes|mirna",
    conda:
        "../envs/dataset.yaml"
    resources:
        mem_mb=4000,
    params:
        width=lambda wc: POS["mirna_window"] if wc.anchor == "mirna" else POS["window"],
    script:
        "../workflow/scripts/extract_windows.py"


for anchor in ANCHORS:

    rule:
        name:
            f"centrimo_{anchor}"
        input:
            fasta=f"results/positional/{anchor}/windows.fa",
            kernels="results/motifs/kernels.meme",
            program=motif_program(
                "meme", ["centrimo"], f"results/positional/{anchor}/centrimo.tsv"
            ),
        output:
            tsv=f"results/positional/{anchor}/centrimo.tsv",
            counts=f"results/positional/{anchor}/site_counts.txt",
            sites=f"results/positional/{anchor}/central_sites.tsv",
        log:
            f"logs/centrimo_{anchor}.log",
        benchmark:
            f"benchmarks/centrimo_{anchor}.tsv"
        conda:
            "../envs/meme.yaml" if "meme" in motif_tools() else "../envs/motifs.yaml"
        threads: TRAIN["threads"]
        resources:
            mem_mb=8000,
            gpu=1 if USE_GPU else 0,
        params:
            anchor=anchor,
            engine="meme" if "meme" in motif_tools() else "builtin",
            motif_pseudo=POS["motif_pseudo"],
            score=POS["score"],
            both_strands=POS["both_strands"],
            ethresh=POS["ethresh"],
            evalue=POS["evalue"],
            top_kernels=POS["top_kernels"],
        script:
            "../workflow/scripts/centrimo_anchor.py"


rule measure_strand_bias:
    input:
        sites=expand(
            "results/positional/{anchor}/central_sites.tsv", anchor=["tss", "tes"]
        ),
        windows=expand("results/positional/{anchor}/windows.tsv", anchor=["tss", "tes"]),
    output:
        tsv="results/positional/strand_bias.tsv",
        png=report(
            "results/positional/strand_bias.png",
            caption="../report/strand_bias.rst",
            category="4. Positional bias",
        ),
        pdf="results/positional/strand_bias.pdf",
    log:
        "logs/measure_strand_bias.log",
    conda:
        "../envs/motifs.yaml"
    resources:
        mem_mb=1000,
    script:
        "../workflow/scripts/measure_strand_bias.py"


rule summarize_positional:
    input:
        kernels="results/motifs/kernels.meme",
        tsv=expand("results/positional/{anchor}/centrimo.tsv", anchor=ANCHORS),
        counts=expand("results/positional/{anchor}/site_counts.txt", anchor=ANCHORS),
        window_counts=expand(
            "results/positional/{anchor}/window_counts.tsv", anchor=ANCHORS
        ),
    output:
        summary=report(
            "results/positional/summary.tsv",
            caption="../report/positional_summary.rst",
            category="4. Positional bias",
        ),
        png=report(
            "results/positional/site_distributions.png",
            caption="../report/site_distributions.rst",
            category="4. Positional bias",
        ),
        pdf="results/positional/site_distributions.pdf",
    log:
        "logs/summarize_positional.log",
    conda:
        "../envs/motifs.yaml"
    resources:
        mem_mb=1000,
    params:
        anchors=ANCHORS,
        evalue=POS["evalue"],
        top=POS["figure_kernels"],
    script:
        "../workflow/scripts/summarize_positional.py"
