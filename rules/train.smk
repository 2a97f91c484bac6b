# Training (paper section 5.3), the k-mer baseline (5.4) and their evaluation (Fig. 2).

TRAIN = config["train"]
DATASET_ARRAYS = expand(
    "results/dataset/{split}.{ext}",
    split=["train", "valid"],
    ext=["codes.npy", "labels.npy"],
)


rule train_cnn:
    input:
        info="results/dataset/dataset.json",
        arrays=DATASET_ARRAYS,
    output:
        weights="results/train/model.safetensors",
        metadata="results/train/model.json",
        history="results/train/history.tsv",
        curve=report(
            "results/train/learning_curve.png",
            caption="../report/learning_curve.rst",
            category="2. Training",
        ),
    log:
        "logs/train_cnn.log",
    benchmark:
        "benchmarks/train_cnn.tsv"
    conda:
        "../envs/torch.yaml"
    threads: TRAIN["threads"]
    resources:
        mem_mb=16000,
        gpu=1 if USE_GPU else 0,
    params:
        model=canonical(config["model"]),
        train=canonical(
            {k: v for k, v in TRAIN.items() if k not in EXECUTION_ONLY_TRAIN_KEYS}
        ),
        # the resumable state between epochs, outside the declared outputs
        checkpoint="results/train/checkpoint",
    script:
        "../workflow/scripts/train_cnn.py"


rule train_baseline:
    input:
        info="results/dataset/dataset.json",
        arrays=DATASET_ARRAYS,
    output:
        model="results/train/baseline.json",
    log:
        "logs/train_baseline.log",
    benchmark:
        "benchmarks/train_baseline.tsv"
    conda:
        "../envs/torch.yaml"
    threads: TRAIN["threads"]
    resources:
        # hg19: 1.4 M x 1,364 float32 k-mer counts (7.8 GB) and the solver's work
        mem_mb=12000,
    params:
        baseline=canonical(config["baseline"]),
    script:
        "../workflow/scripts/train_baseline.py"


rule evaluate_models:
    input:
        info="results/dataset/dataset.json",
        weights="results/train/model.safetensors",
        baseline="results/train/baseline.json",
        arrays=expand(
            "results/dataset/{split}.{ext}",
            split=["valid", "test"],
            ext=["codes.npy", "labels.npy", "index.tsv"],
        ),
    output:
        metrics=report(
            "results/evaluate/metrics.tsv",
            caption="../report/metrics.rst",
            category="2. Training",
        ),
        predictions="results/evaluate/predictions.tsv",
        roc_png=report(
            "results/evaluate/roc.png",
            caption="../report/roc.rst",
            category="2. Training",
        ),
        roc_pdf="results/evaluate/roc.pdf",
    log:
        "logs/evaluate_models.log",
    benchmark:
        "benchmarks/evaluate_models.tsv"
    conda:
        "../envs/torch.yaml"
    threads: TRAIN["threads"]
    resources:
        # the test set (0.4 GB for hg19) and its k-mer counts for the baseline
        mem_mb=8000,
        gpu=1 if USE_GPU else 0,
    script:
        "../workflow/scripts/evaluate_models.py"
