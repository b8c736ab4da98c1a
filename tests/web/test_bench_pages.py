"""bench/web.py seeds a database for `tracker serve`, reads the owner's page as a browser
would and checks the database afterwards: run against the real page here, so that a change of
the page or of what the server asks of its database cannot leave the benchmark unable to start
or to find its form (only running it would tell)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from fastapi.testclient import TestClient

from config import load_settings
from tracker.app import App
from tracker.db import make_engine
from tracker.migrate import require_current_schema
from tracker.web.main import create_app
from workflows.registry import default_registry

ROOT = Path(__file__).resolve().parents[2]


def bench_web() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_web", ROOT / "bench" / "web.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_web_benchmark_finds_the_owners_form_and_its_update_is_not_lost(
    tmp_path: Path,
) -> None:
    bench = bench_web()
    base = "http://testserver"
    # Its own database: the benchmark's seed drops and creates every table.
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.db'}")
    owners = bench.seed(engine, 2, base)
    # What `tracker serve`, which the benchmark starts, asks of the database before it starts.
    require_current_schema(engine)
    settings = load_settings(secret_key=bench.SECRET, public_base_url=base)
    app = App(settings=settings, engine=engine, registry=default_registry())
    with TestClient(create_app(app)) as client:
        for owner in owners:
            path = owner.get.split(b" ")[1].decode()
            page = client.get(path)
            assert page.status_code == 200
            assert bench.prepare_update(owner, page.content), "the benchmark finds no form"
            head, body = owner.post.split(b"\r\n\r\n", 1)
            action = head.split(b" ")[1].decode()
            answer = client.post(
                action,
                content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert answer.status_code == 200
            owner.posted = True
            assert owner.note in client.get(path).text
    assert bench.count_lost(engine, owners) == 0
    engine.dispose()
