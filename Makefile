# familydesk — the two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-done
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: setup setup-browser setup-servers index run test test-fast eval bench docs screenshots clean

setup: $(STAMP) ## create .venv and install everything (idempotent)

$(STAMP): pyproject.toml requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# CPU torch first, from the local wheel: otherwise sentence-transformers pulls a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

setup-browser: ## Debian's Chromium for the browser tests (Playwright drives it; never `playwright install`)
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

setup-servers: ## Debian's redis-server and postgresql for the replica tests (the tests start them in temp folders)
	command -v redis-server >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server)
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

index: setup ## build or update the vector index (only changed clauses are embedded)
	$(BIN)/familydesk index

run: index ## set up, build the index, serve on http://127.0.0.1:8000
	$(BIN)/familydesk serve

test: setup setup-browser setup-servers ## set up, check the module boundaries (import-linter), then the whole suite (browser tests included)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

test-fast: setup ## the module boundaries and the tests that need no model and no server (parsing, formats, regions, rules)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -m "not slow"

eval: setup ## the dev evaluation through the HTTP API (needs a server: make run)
	$(PYTHON) ../shared/eval/score_api.py ../shared/eval/questions.jsonl

bench: setup ## latency benchmark of /api/ask (writes nothing; see docs/benchmarks.md)
	$(BIN)/python bench/latency.py

screenshots: setup setup-browser ## re-take docs/screenshot-*.png (a CJK font makes them readable)
	fc-list 2>/dev/null | grep -qi -e wqy -e "noto sans cjk" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei)
	$(BIN)/python bench/screenshots.py

docs: setup ## regenerate docs/cli.md, docs/settings.md and the README settings table from the code
	$(BIN)/python bench/render_docs.py

clean:
	rm -rf index/.chroma .pytest_cache
