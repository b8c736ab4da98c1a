"""The web app built from the environment, for uvicorn's worker processes.

`tracker serve --workers N` puts its options in TRACKER_* variables and lets uvicorn import
this factory in every worker; nothing is built at import time.
"""

from __future__ import annotations

from fastapi import FastAPI

from tracker import logs
from tracker.app import bootstrap
from tracker.web.main import create_app


def app_from_env() -> FastAPI:
    logs.configure()
    return create_app(bootstrap())
