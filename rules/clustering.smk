# Kernel motifs clustered into families, as RSAT matrix-clustering (paper Fig. 7).

CLUSTERING = config["clustering"]


rule cluster_kernels:
    input:
        meme="results/motifs/kernels.meme",
    output:
        clusters="results/clustering/clusters.tsv",
        newick="results/clustering/tree.newick",
        roots="results/clustering/cluster_roots.meme",
        alignment="results/clustering/cluster_alignment.tsv",
        heatmap_png="results/clustering/similarity_heatmap.png",
        heatmap_pdf="results/clustering/similarity_heatmap.pdf",
        logos_png="results/clustering/cluster_root_logos.png",
        logos_pdf="results/clustering/cluster_root_logos.pdf",
    log:
        "logs/cluster_kernels.log",
    benchmark:
        "benchmarks/cluster_kernels.tsv"
    conda:
        "../envs/rsat.yaml" if "rsat" in motif_tools() else "../envs/motifs.yaml"
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
