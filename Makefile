# familydesk — the two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-done
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: setup setup-browser setup-servers index run test test-fast eval bench bench-reload image docs screenshots clean

setup: $(STAMP) ## create .venv and install everything: runtime, test tools and the `st` extra (idempotent)

$(STAMP): pyproject.toml requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# CPU torch first, from the local wheel: otherwise sentence-transformers pulls a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	# runtime pins, the test tools and the `st` extra (sentence-transformers), which the tests use
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

setup-browser: ## Debian's Chromium and a CJK font for the browser tests (Playwright drives it; never `playwright install`)
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	fc-list 2>/dev/null | grep -qi -e wqy -e "noto sans cjk" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei)

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

bench-reload: setup ## the reindex-under-load test at the issue's full 30 s (the suite runs it for 8 s)
	RELOAD_TEST_SECONDS=30 $(BIN)/python -m pytest -q tests/test_reload_under_load.py

image: ## build the Docker image with docker or podman when an engine answers, and print its size
	@engine=""; for e in docker podman; do \
	  if command -v $$e >/dev/null 2>&1 && $$e info >/dev/null 2>&1; then engine=$$e; break; fi; done; \
	if [ -z "$$engine" ]; then echo "no container engine answers (docker info / podman info): image not built"; exit 0; fi; \
	$$engine build -t familydesk:latest . && \
	echo "familydesk:latest size: $$($$engine image inspect familydesk:latest --format '{{.Size}}' | awk '{printf "%.0f MB", $$1/1e6}')"

screenshots: setup setup-browser ## re-take docs/screenshot-*.png (a CJK font makes them readable)
	fc-list 2>/dev/null | grep -qi -e wqy -e "noto sans cjk" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei)
	$(BIN)/python bench/screenshots.py

docs: setup ## regenerate docs/cli.md, docs/settings.md and the README settings table from the code
	$(BIN)/python bench/render_docs.py

clean:
	rm -rf index/.chroma .pytest_cache
