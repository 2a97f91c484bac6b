# Kernel motifs clustered into families, as RSAT matrix-clustering (paper Fig. 7).

CLUSTERING = config["clustering"]


rule cluster_kernels:
    input:
        meme="results/motifs/kernels.meme",
        program=motif_program(
            "rsat", ["matrix-clustering", "rsat"], "results/clustering/clusters.tsv"
        ),
    output:
        clusters=report(
            "results/clustering/clusters.tsv",
            caption="../report/clusters.rst",
            category="6. Clustering",
        ),
        newick="results/clustering/tree.newick",
        roots="results/clustering/cluster_roots.meme",
        alignment="results/clustering/cluster_alignment.tsv",
        heatmap_png=report(
            "results/clustering/similarity_heatmap.png",
            caption="../report/clustering_heatmap.rst",
            category="6. Clustering",
        ),
        heatmap_pdf="results/clustering/similarity_heatmap.pdf",
        logos_png=report(
            "results/clustering/cluster_root_logos.png",
            caption="../report/clustering_logos.rst",
            category="6. Clustering",
        ),
        logos_pdf="results/clustering/cluster_root_logos.pdf",
    log:
        "logs/cluster_kernels.log",
    benchmark:
        "benchmarks/cluster_kernels.tsv"
    conda:
        "../envs/rsat.yaml" if "rsat" in motif_tools() else "../envs/motifs.yaml"
    threads: TRAIN["threads"]
    resources:
        mem_mb=8000,
    params:
        engine="rsat" if "rsat" in motif_tools() else "builtin",
        min_width=CLUSTERING["min_width"],
        cor=CLUSTERING["cor"],
        ncor=CLUSTERING["ncor"],
        top_logos=CLUSTERING["top_logos"],
    script:
        "../workflow/scripts/cluster_kernels.py"
