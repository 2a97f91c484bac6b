# Set-up, demo and tests. `make demo` and `make test` do all the set-up on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# PyTorch, installed before anything else so that its build is the one chosen here, not the
# one a dependency would pull. PyPI's Linux wheel is the CUDA build; without a GPU,
# make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu takes the CPU build (where pip
# is configured with a local index of CPU wheels, as on the CI machine, the default does).
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
CORES ?= all
# Test files run in parallel processes, a file per process (its fixtures shared): the suite's
# workflow runs spend much of their time starting processes, so two halve it on two cores.
TEST_JOBS ?= auto
PARALLEL := -n $(TEST_JOBS) --maxprocesses 4 --dist loadfile
PYTEST := $(BIN)/pytest $(PARALLEL)

.PHONY: setup demo test test-fast test-slurm test-conda-pins lint format bench clean bedtools

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[workflow,dev,gpu]"
	touch $@

bedtools:
	@bash workflow/install-bedtools.sh

setup: $(BIN)/.installed bedtools

demo: setup
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --report results/report.html
	@echo "Report: $(CURDIR)/results/report.html"

test: setup
	$(PYTEST)

test-fast: setup
	$(PYTEST) -m "not slow and not slurm"

test-slurm: setup
	$(BIN)/pytest -m slurm

# The library's tests with the versions the conda envs pin (numpy, pandas, scipy, numba...),
# installed by pip into their own venv: the conda route's code paths without conda (the envs
# pin python 3.11: PINS_PYTHON=python3.11 where python3 is another). (Not the
# SLURM profile's test: its executor plugin needs newer numpy and pandas than the envs pin.)
PINS_VENV := .venv-conda-pins
PINS_PYTHON ?= $(PYTHON)
test-conda-pins: setup
	$(PINS_PYTHON) -m venv $(PINS_VENV)
	$(BIN)/python tests/conda_pins.py > $(PINS_VENV)/requirements.txt
	$(PINS_VENV)/bin/python -m pip install --quiet $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) \
		"$(TORCH_SPEC)" -r $(PINS_VENV)/requirements.txt
	PYTHONPATH=workflow/scripts $(PINS_VENV)/bin/pytest $(PARALLEL) -p no:cacheprovider \
		-m "not slow and not slurm and not gpu" --ignore tests/test_slurm.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules/
	$(BIN)/snakemake --lint

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/snakefmt Snakefile rules/

bench: setup
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf results logs benchmarks .snakemake
