"""Routes, one module per audience; the bounded number types their paths and forms share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path

from tracker.models.base import ID_LIMIT

# An id in a path ("/planer/{plan_id}"). Out of range it is answered as an unknown page, 404
# (tracker.web.main turns a path that fails validation into the not-found page).
PathId = Annotated[int, Path(ge=1, le=ID_LIMIT)]
# An id a form posts (a select's value); out of range the form is refused (400).
FormId = Annotated[int, Form(ge=0, le=ID_LIMIT)]
