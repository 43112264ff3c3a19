"""FastAPI dependencies shared by the HTTP channels (the JSON API and the web pages)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .assistant import Assistant


def get_assistant(request: Request) -> Assistant:
    return request.app.state.assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
