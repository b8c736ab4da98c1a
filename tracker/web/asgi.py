"""The web app built from the environment, for uvicorn's worker processes.

`tracker serve --workers N` puts its command-line options in TRACKER_* variables and has
uvicorn call this factory in every worker process; gunicorn with uvicorn's worker class calls
it the same way (`'tracker.web.asgi:app_from_env()'`, docs/deploy.md). Nothing is built at
import time.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from config import SERVE_HOST_ENV, SettingsError, known_secret_refusal, read_settings
from tracker import logs
from tracker.app import bootstrap
from tracker.migrate import require_current_schema
from tracker.web.main import create_app


def app_from_env() -> FastAPI:
    """The app, or an error with what is wrong in Swedish: settings that cannot be used, a key
    anyone can know when others can reach the app (SettingsError), or a schema older than the
    code (TrackerError). Under gunicorn the worker then fails to boot and gunicorn stops, as
    `tracker serve` would have refused to start. The address gunicorn listens on is not known
    here, so it counts as reachable; `tracker serve` passes its own."""
    logs.configure()
    settings = read_settings()
    host = os.environ.get(SERVE_HOST_ENV)
    if refusal := known_secret_refusal(settings.secret_key, settings.public_base_url, host):
        raise SettingsError(refusal)
    app = bootstrap(settings)
    require_current_schema(app.engine)
    return create_app(app)
