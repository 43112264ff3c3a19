"""Log set-up: plain lines, or one JSON object per line (FAMILYDESK_LOG_FORMAT=json) carrying the request
id of the HTTP request being served, so an operator can follow one request through the log.

The request id comes from the client's X-Request-ID header when it is a short token, else it is made
here; the web app echoes it in the response's X-Request-ID header.
"""
from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("familydesk_request_id", default=None)
_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,64}")
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def request_id(header: str | None) -> str:
    """The client's id when it is a plain token of at most 64 characters, else a new one."""
    return header if header and _TOKEN.fullmatch(header) else uuid.uuid4().hex


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


def handler(fmt: str = "text", stream=None) -> logging.Handler:
    """A handler writing text lines or JSON lines (with the request id) to `stream` (stderr by default)."""
    out = logging.StreamHandler(stream)
    out.addFilter(_RequestIdFilter())
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        out.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                                       rename_fields={"levelname": "level", "name": "logger"}))
    else:
        out.setFormatter(logging.Formatter(PLAIN))
    return out


def configure(level: str, fmt: str = "text") -> None:
    """Send the log to stderr at `level`, as text lines or JSON lines."""
    logging.basicConfig(level=level, handlers=[handler(fmt)], force=True)
