"""The web app built from the environment, for uvicorn's worker processes.

`tracker serve --workers N` puts its command-line options in TRACKER_* variables and has
uvicorn call this factory in every worker process; gunicorn with uvicorn's worker class calls
it the same way (`'tracker.web.asgi:app_from_env()'`, docs/deploy.md). Nothing is built at
import time.
"""

from __future__ import annotations

from fastapi import FastAPI

from tracker import logs
from tracker.app import bootstrap
from tracker.web.main import create_app


def app_from_env() -> FastAPI:
    logs.configure()
    return create_app(bootstrap())
