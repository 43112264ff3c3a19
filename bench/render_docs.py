"""Regenerate docs/cli.md, docs/settings.md and the README's settings table from the code (`make docs`)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from familydesk.cli import cli_markdown  # noqa: E402
from familydesk.settings import settings_markdown  # noqa: E402

table = settings_markdown()
(ROOT / "docs" / "cli.md").write_text(cli_markdown(), encoding="utf-8")
(ROOT / "docs" / "settings.md").write_text(table, encoding="utf-8")
readme = ROOT / "README.md"
text = readme.read_text(encoding="utf-8")
new = re.sub(r"(<!-- settings:start[^\n]*-->\n).*?(<!-- settings:end -->)", lambda m: m.group(1) + table + m.group(2),
             text, flags=re.S)
readme.write_text(new, encoding="utf-8")
print("docs/cli.md, docs/settings.md and README.md settings table regenerated")
