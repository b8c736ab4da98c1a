"""A dispatcher in a process of its own, for the two-processes test (spawned, so importable)."""

from __future__ import annotations

from datetime import datetime
from multiprocessing.synchronize import Barrier

from notifications.smtp import SmtpConfig, SmtpSession
from tracker.db import make_engine
from tracker.services.dispatch import dispatch


def run(db_url: str, smtp_port: int, now: datetime, start: Barrier) -> int:
    engine = make_engine(db_url)
    config = SmtpConfig(host="127.0.0.1", port=smtp_port, mail_from="atgardsplan@pitea.example")
    start.wait()
    result = dispatch(engine, lambda: SmtpSession(config), now=now, batch_size=10)
    engine.dispose()
    return result.sent
