"""The image installs what the service runs and nothing else: no test tool, no sentence-transformers or torch
(the `st` extra), and its data folder belongs to the user the service runs as. `make setup` still installs
everything the tests need. No engine is needed: the files are read (`make image` builds where one answers)."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from familydesk.settings import PROJECT_ROOT

TEST_AND_ST = ("pytest", "playwright", "schemathesis", "hypothesis", "import-linter", "reportlab", "torch",
               "sentence-transformers", "transformers", "langchain-huggingface", "scikit-learn")


def pins(name: str) -> dict[str, str]:
    """Package (normalised) → pinned version, following `-r` includes."""
    out = {}
    for line in (PROJECT_ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            out.update(pins(line[3:].strip()))
        elif line:
            package, version = line.split("==")
            out[_norm(package)] = version
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\[<>=~!;\s]", name.strip(), maxsplit=1)[0]).lower()


def test_the_image_installs_runtime_dependencies_only():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    installs = [line for line in dockerfile.replace("\\\n", " ").splitlines() if "pip install" in line]
    assert installs and all("requirements-dev" not in line and "torch" not in line and "[st]" not in line
                            for line in installs), installs
    assert "-r requirements.txt" in " ".join(installs)
    runtime = pins("requirements.txt")
    assert not [p for p in TEST_AND_ST if p in runtime]
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert {_norm(d) for d in project["dependencies"]} <= set(runtime)  # every runtime dependency is pinned
    assert not {_norm(d) for d in project["optional-dependencies"]["st"]} & {_norm(d) for d in project["dependencies"]}


def test_the_image_data_folder_belongs_to_the_service_user():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "mkdir -p /data" in dockerfile and re.search(r"chown -R familydesk [^\n]*/data", dockerfile)
    assert dockerfile.index("chown -R familydesk") < dockerfile.index("USER familydesk")
    assert "FAMILYDESK_DATA_DIR=/data" in dockerfile


def test_make_setup_installs_the_tests_and_the_st_extra():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-r requirements-dev.txt" in makefile and "torch==" in makefile
    dev = pins("requirements-dev.txt")
    assert {"pytest", "playwright", "schemathesis", "import-linter", "sentence-transformers"} <= set(dev)
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert {_norm(d) for d in project["optional-dependencies"]["st"]} <= set(dev)


def test_the_default_path_never_imports_sentence_transformers_or_torch():
    code = ("import sys; from familydesk.app import create_app; import familydesk.cli; "
            "from familydesk.embeddings import make_embeddings; make_embeddings('use'); create_app(); "
            "bad = [m for m in ('sentence_transformers', 'torch', 'transformers', 'langchain_huggingface') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={"PYTHONPATH": str(PROJECT_ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stdout + r.stderr
