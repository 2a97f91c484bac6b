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
        curve="results/train/learning_curve.png",
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
        model=config["model"],
        train=TRAIN,
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
    resources:
        mem_mb=16000,
    params:
        baseline=config["baseline"],
    script:
        "../workflow/scripts/train_baseline.py"


rule evaluate:
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
        metrics="results/evaluate/metrics.tsv",
        predictions="results/evaluate/predictions.tsv",
        roc_png="results/evaluate/roc.png",
        roc_pdf="results/evaluate/roc.pdf",
    log:
        "logs/evaluate.log",
    conda:
        "../envs/torch.yaml"
    threads: TRAIN["threads"]
    resources:
        gpu=1 if USE_GPU else 0,
    params:
        device=TRAIN["device"],
        batch_size=config["interpret"]["batch_size"],
    script:
        "../workflow/scripts/evaluate.py"
