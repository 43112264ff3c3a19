"""familydesk: answers from official fertility-support documents, quoted and cited by clause.

The public API is the facade: `Assistant(settings).load().ask("包头三孩产假多少天")`.

`Assistant` is imported when first used, so a command that never answers (`familydesk --help`, `settings`, a
setting refused) starts without loading the answer path (LangChain, Chroma).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Answer, Citation, Clause, Document, Overrides
from .settings import Settings, get_settings

if TYPE_CHECKING:
    from .assistant import Assistant

__all__ = ["Assistant", "Answer", "Citation", "Clause", "Document", "Overrides", "Settings", "get_settings"]


def __getattr__(name: str):
    if name == "Assistant":
        from .assistant import Assistant

        return Assistant
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
