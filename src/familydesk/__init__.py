"""familydesk: answers from official fertility-support documents, quoted and cited by clause.

The public API is the facade: `Assistant(settings).load().ask("包头三孩产假多少天")`.
"""
from .assistant import Assistant
from .models import Answer, Citation, Clause, Document, Overrides
from .settings import Settings, get_settings

__all__ = ["Assistant", "Answer", "Citation", "Clause", "Document", "Overrides", "Settings", "get_settings"]
