# Start here (README.md): a student runs `make lab-student`, an instructor `make lab`, a maintainer `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# gensim seeds word vectors through Python's hash(); fix it so stored outputs reproduce.
export PYTHONHASHSEED := 0
# The package is imported from this checkout (also from a git worktree sharing another checkout's .venv).
export PYTHONPATH := $(CURDIR)
# Nothing downloads at run time: transformers builds its tiny models from a config, never from the hub.
export HF_HUB_OFFLINE := 1
# matplotlib's font cache beside this checkout's venv: a cache written by another install (another clone's venv,
# since deleted) can miss the bundled STIX fonts, and its warning would land in a notebook's output.
export MPLCONFIGDIR := $(CURDIR)/$(VENV)/mplconfig
# nbval with the project's rule for printed numbers (coursetools/nbnumbers.py, CONTRIBUTING.md): a number with a
# decimal point matches its stored value to ±1 in its last printed digit; everything else exactly.
NBVAL   := --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg --nbval-cell-timeout=600 \
           -p coursetools.nbnumbers
# `make test` / `make nbval` print each notebook's execution time (wall + kernel CPU). Over the budget (60 s on the
# reference machine, --notebook-budget, times this machine's slowness measured by a calibration workload) a
# notebook fails only where CI is set; elsewhere it is flagged. Not test-portable (scalar kernels, slow on purpose).
NBTIME  := -p coursetools.nbtime

.PHONY: install lab test test-portable unit nbval execute lint clean slides site bench test-browser

# The packages (the stamp below), then this checkout's bytecode: where the environment sets PYTHONDONTWRITEBYTECODE
# (these machines and many containers do), no import writes it, and every notebook's kernel would compile the
# package again (~0.1 s each). Up to date, this takes ~0.05 s; a file edited since is compiled again here, and a
# stale one is never used.
install: $(STAMP)
	@$(BIN)/python -m compileall -q nlpcourse coursetools

# Re-installs only when requirements.txt or pyproject.toml change: a second `make test` starts at once.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Localhost only, Jupyter's default token auth. Containers often run as root, which Jupyter refuses unless told.
ROOT_OK := $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True)
# The course's JupyterLab settings (jupyter/settings/overrides.json): no "get Jupyter news?" pop-up, no update check.
LAB := --ServerApp.ip=127.0.0.1 $(ROOT_OK) --LabApp.app_settings_dir=$(CURDIR)/jupyter/settings
lab: install
	cd notebooks && ../$(BIN)/jupyter lab $(LAB)

test: install
	$(BIN)/python -m pytest tests notebooks $(NBVAL) $(NBTIME)

unit: install
	$(BIN)/python -m pytest tests

nbval: install
	$(BIN)/python -m pytest $(NOTEBOOKS) $(NBVAL) $(NBTIME)

# Stored outputs must not depend on the CPU's float kernels (CONTRIBUTING.md, "Outputs that reproduce on
# every machine"). Re-run nbval under other kernels: torch's scalar (default) and AVX2 code paths instead of
# AVX-512, numpy with its AVX-512 loops off, MKL in its conditional-reproducibility modes, one OpenMP thread;
# then with every trained model's starting parameters nudged by ~10 roundings of their dtype
# (NLPCOURSE_PERTURB=1, nlpcourse/perturb.py): what survives that survives another vendor's CPU, which no
# switch on this one reproduces.
# Authors: `make test-portable NOTEBOOKS=notebooks/05_mlp.ipynb` for one notebook;
# `make test-portable PORTABLE_KERNELS=NLPCOURSE_PERTURB=1` for the perturbation run alone.
NOTEBOOKS ?= notebooks
PORTABLE_KERNELS := \
  ATEN_CPU_CAPABILITY=default,MKL_CBWR=COMPATIBLE,OMP_NUM_THREADS=1 \
  ATEN_CPU_CAPABILITY=avx2,MKL_CBWR=AVX2,NPY_DISABLE_CPU_FEATURES=X86_V4:AVX512_ICL:AVX512_SPR \
  NLPCOURSE_PERTURB=1
test-portable: install
	@set -e; for kernels in $(PORTABLE_KERNELS); do \
	  settings=$$(echo $$kernels | tr ',' ' ' | tr ':' ','); \
	  echo "== nbval under $$settings"; \
	  env $$settings $(BIN)/python -m pytest $(NOTEBOOKS) $(NBVAL) -q; \
	done

# For authors: re-execute every notebook in place from a fresh kernel, then commit them. Streams are coalesced in
# a second pass: nbconvert runs its CoalesceStreamsPreprocessor before the ExecutePreprocessor.
execute: install
	cd notebooks && for nb in [0-9]*.ipynb; do \
	  echo "executing $$nb"; \
	  ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.record_timing=False "$$nb" || exit 1; \
	  ../$(BIN)/jupyter nbconvert --to notebook --inplace --coalesce-streams "$$nb" || exit 1; \
	done

# For instructors (README, "Teaching with it"). Everything lands in build/ and works with no network:
# reveal.js, MathJax and the widget renderer come from pinned npm packages at build time (needs npm).
slides: install
	$(BIN)/python -m coursetools.slides --out build/slides

site: install
	$(BIN)/python -m coursetools.site --out build/site

# Every benchmarks/*.py, one table of ratios in build/bench.md. `make bench BENCH_ARGS=--quick`: smoke-sized.
bench: install
	$(BIN)/python -m coursetools.bench --out build/bench.md $(BENCH_ARGS)

# Widgets in a real browser: Debian's chromium (installed with apt-get if missing) driven by Playwright
# (requirements-browser.txt, the one thing installed into .venv beyond requirements.txt; `playwright install`
# is never run). Needs root or sudo for apt-get the first time.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
BROWSER_STAMP := $(VENV)/.browser-installed
$(BROWSER_STAMP): requirements-browser.txt $(STAMP)
	command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }
	$(BIN)/python -m pip install --quiet -r requirements-browser.txt
	touch $@

test-browser: install $(BROWSER_STAMP)
	NLPCOURSE_BROWSER=1 $(BIN)/python -m pytest tests/browser -v -s

.PHONY: student lab-student grade grade-sandbox test-student

# The student edition: build/student/ (solutions removed, check outputs cleared; a notebook you edited is kept,
# the new version goes beside it as NN_*.updated.ipynb).
student: install
	$(BIN)/python -m coursetools.student --source notebooks --out build/student

# JupyterLab on the student edition (built or refreshed first).
lab-student: student
	cd build/student && ../../$(BIN)/jupyter lab $(LAB)

# Grading: make grade SUBMISSIONS=dir/ [JOBS=4] (dir/<student>/*.ipynb or dir/<student>.ipynb) -> build/grades/
# Each submission runs in a bubblewrap sandbox: Debian's bubblewrap is installed with apt-get if missing (root or
# sudo the first time). Where no sandbox can be made the grader refuses; GRADE_ARGS=--no-sandbox overrides it.
grade-sandbox:
	command -v bwrap >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq bubblewrap; }

grade: install grade-sandbox
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=dir/"; exit 2; }
	$(BIN)/python -m coursetools.grade "$(SUBMISSIONS)" --notebooks notebooks --out build/grades $(if $(JOBS),--jobs $(JOBS)) $(GRADE_ARGS)

# The student edition's and the grader's tests (they execute notebooks: a few minutes on 2 cores).
test-student: install grade-sandbox
	$(BIN)/python -m pytest tests/test_student.py tests/test_grade.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV)
	find nlpcourse coursetools -name __pycache__ -type d -prune -exec rm -rf {} +
