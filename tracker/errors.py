"""Errors a user can act on. Messages are Swedish and shown as they are."""

from __future__ import annotations


class TrackerError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TrackerError):
    pass


class Conflict(TrackerError):
    """Someone else changed the record since it was read; nothing was written."""


class Refused(TrackerError):
    """A change the rules do not allow (workflow, role, missing text)."""


class Forbidden(TrackerError):
    pass
