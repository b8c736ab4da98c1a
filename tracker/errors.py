"""Errors a user can act on. Messages are Swedish and shown as they are."""

from __future__ import annotations

from collections.abc import Mapping


class TrackerError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TrackerError):
    pass


class Conflict(TrackerError):
    """Someone else changed the record since it was read; nothing was written."""


class Refused(TrackerError):
    """A change the rules do not allow (workflow, role, missing text). `fields`: the parts of
    the message about one box of the form, by the workflow's field id
    (workflows.TransitionRefused.fields), for a form to say beside that box."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class Forbidden(TrackerError):
    pass
