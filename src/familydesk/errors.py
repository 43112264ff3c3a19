"""A few domain errors; each channel maps them once (HTTP status, CLI exit, bot reply)."""
from __future__ import annotations


class FamilydeskError(Exception):
    """Base class: the message is safe to show to a user and says what to do."""

    status = 500


class BadRequest(FamilydeskError):
    status = 422


class NotFound(FamilydeskError):
    status = 404


class Unavailable(FamilydeskError):
    """The index or the vector store is not ready (yet)."""

    status = 503
