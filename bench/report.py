"""Report benchmark: an återrapport of a plan with 2,000 åtgärder and 20 earlier reports.

Targets (this machine): HTML < 1 s, DOCX < 5 s, PDF < 15 s, each counted from the database
(snapshot built from the event history) to the finished document. Also measured in the same
run: bare Jinja2 rendering the same rows fetched by one query, and the HTML's time as a
multiple of it (what the snapshot, the history replay and the full template cost).

Usage: python bench/report.py [--database-url URL] [--out DIR]
(default: a fresh SQLite file in a temp dir; --out keeps the rendered documents)
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from pypdf import PdfReader
from sqlalchemy import insert, text
from sqlmodel import SQLModel

from config import load_settings
from tracker.app import App
from tracker.db import make_engine
from tracker.domain.report import compose, state_counts
from tracker.models import Action, ActionEvent, Area, Person, Plan, Report
from tracker.reports.docx import render_docx
from tracker.reports.html import render_html
from tracker.reports.pdf import render_pdf
from tracker.services import reports
from workflows import default_registry

N_ACTIONS = 2_000
N_AREAS = 100
N_EARLIER = 20
TZ = ZoneInfo("Europe/Stockholm")
START = datetime(2008, 1, 10, 8, 0, tzinfo=UTC)
AS_OF = date(2018, 1, 10)
NOW = datetime(2018, 1, 10, 15, 0, tzinfo=UTC)
NOTE = (
    "Arbetet går enligt plan. Skolledarna har fått stöd i budgetarbetet och en ny rutin för "
    "uppföljning prövas under våren. Nästa steg är att utvärdera rutinen tillsammans med "
    "ekonomerna. "
)
TEXT = (
    "Ett tydligare upplägg för förvaltningens stöd i ekonomiska frågor utarbetas i dialog med "
    "skolledarna, med fokus på gränsytorna mellan ekonomer, administratörer och rektorer."
)
BARE_TEMPLATE = """<table>{% for area, text, tidsplan, note in rows %}
<tr><th>{{ area }}</th><td>{{ text }}</td><td>{{ tidsplan }}</td><td>{{ note }}</td></tr>
{% endfor %}</table>"""


def fresh_app(url: str) -> App:
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    return App(settings=load_settings(database_url=url), engine=engine, registry=default_registry())


def seed(app: App) -> int:
    """One plan: 2,000 åtgärder in 100 areas, each with a history of notes over ten years
    (one per report period), and 20 issued reports before this one."""
    rnd = random.Random(7)
    periods = [START + timedelta(days=182 * i) for i in range(N_EARLIER + 1)]
    with app.engine.begin() as conn:
        conn.execute(
            insert(Plan),
            [
                {
                    "title": "Åtgärdsplan för bänkprovet",
                    "forvaltning": "Utbildningsförvaltningen",
                    "namnd": "Barn- och utbildningsnämnden",
                    "background": "Bakgrund. " * 40,
                    "dnr": "BUN 2008/1",
                    "ort": "Piteå",
                    "signatory_name": "Malin Westling",
                    "signatory_title": "förvaltningschef",
                    "report_months": "6,12",
                    "board_recipients": "",
                    "created_at": START,
                }
            ],
        )
        conn.execute(
            insert(Person),
            [{"name": "Anna", "email": "anna@bench.example", "role": "owner", "created_at": START}],
        )
        conn.execute(
            insert(Area),
            [
                {
                    "plan_id": 1,
                    "title": f"Utvecklingsområde {i}: stärka ledningen inom område {i}",
                    "position": i,
                    "section": "" if i <= N_AREAS // 2 else "Möjliga utvecklingsområden",
                }
                for i in range(1, N_AREAS + 1)
            ],
        )
        rows = []
        for i in range(N_ACTIONS):
            due = date(2008, 6, 1) + timedelta(days=rnd.randrange(0, 11 * 365))
            rows.append(
                {
                    "plan_id": 1,
                    "area_id": 1 + i % N_AREAS,
                    "position": i,
                    "text": f"{TEXT} ({i})",
                    "owner_id": 1,
                    "workflow": "atgard",
                    "state": "ej_paborjat",
                    "tidsplan": f"Klart till {due:%m/%Y}. Utvärderas ett halvår senare.",
                    "due_on": due,
                    "evaluate_on": due + timedelta(days=180),
                    "progress_note": "",
                    "expected_effect": "",
                    "follow_up": "",
                    "target_group": "",
                    "version": 1,
                    "updated_at": START,
                }
            )
        conn.execute(insert(Action), rows)
        events: list[dict[str, Any]] = []
        final_state: dict[int, str] = {}
        for action_id in range(1, N_ACTIONS + 1):
            state = "ej_paborjat"
            events.append(_event(action_id, START, "skapad", None, state, ""))
            for n, at in enumerate(periods[1:], start=1):
                nxt = {"ej_paborjat": "pagar", "pagar": "klar", "klar": "utvarderad"}.get(state)
                if nxt and rnd.random() < 0.12:
                    events.append(_event(action_id, at, "move", state, nxt, f"{NOTE}({n})"))
                    state = nxt
                else:
                    events.append(_event(action_id, at, "processlage", state, state, NOTE))
            final_state[action_id] = state
        conn.execute(insert(ActionEvent), events)
        for state in ("pagar", "klar", "utvarderad"):
            ids = [i for i, s in final_state.items() if s == state]
            conn.execute(
                text(f"UPDATE action SET state = '{state}' WHERE id IN ({','.join(map(str, ids))})")
            )
        conn.execute(
            insert(Report),
            [
                {
                    "plan_id": 1,
                    "number": n,
                    "workflow": "aterrapport",
                    "state": "skickad",
                    "as_of": at.date(),
                    "data_until": at + timedelta(hours=1),
                    "snapshot_json": "{}",
                    "counts_json": json.dumps(
                        {"ej_paborjat": N_ACTIONS - 60 * n, "pagar": 40 * n, "klar": 20 * n}
                    ),
                    "created_at": at,
                    "created_by": "bänk",
                    "approved_by": "bänk",
                    "approved_at": at,
                    "sent_at": at,
                    "version": 2,
                }
                for n, at in enumerate(periods[:N_EARLIER], start=1)
            ],
        )
    return len(events)


def _event(
    action_id: int, at: datetime, trigger: str, frm: str | None, to: str, note: str
) -> dict[str, Any]:
    return {
        "action_id": action_id,
        "at": at,
        "actor_id": None,
        "actor_label": "bänk",
        "trigger": "starta" if trigger == "move" else trigger,
        "from_state": frm,
        "to_state": to,
        "text": note,
    }


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--out", default=None, help="Keep the documents in this directory.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = fresh_app(url)
        t0 = time.perf_counter()
        n_events = seed(app)
        print(
            f"seed: {N_ACTIONS:,} åtgärder, {n_events:,} events, {N_EARLIER} earlier reports "
            f"({time.perf_counter() - t0:.1f} s)"
        )

        def snapshot() -> reports.Snapshot:
            with app.transaction() as s:
                return reports.build_snapshot(
                    s, app.registry, 1, as_of=AS_OF, now=NOW, tz=TZ, draft_days=14
                )

        snap_t, snap = best_of(3, snapshot)
        assert len(snap.actions()) == N_ACTIONS and len(snap.earlier) == N_EARLIER
        assert sum(state_counts(snap).values()) == N_ACTIONS
        compose_t, view = best_of(3, lambda: compose(snap))
        html_t, html = best_of(3, lambda: render_html(view))
        docx_t, docx = best_of(1, lambda: render_docx(view))
        pdf_t, pdf = best_of(3, lambda: render_pdf(view))

        env = Environment(autoescape=True)
        bare = env.from_string(BARE_TEMPLATE)

        def bare_run() -> str:
            with app.engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT area.title, action.text, action.tidsplan, action.progress_note "
                        "FROM action JOIN area ON area.id = action.area_id "
                        "WHERE action.plan_id = 1 ORDER BY area.position, action.position"
                    )
                ).all()
            return bare.render(rows=rows)

        bare_times = [best_of(1, bare_run)[0] for _ in range(5)]
        bare_t = statistics.median(bare_times)
        html_total = snap_t + compose_t + html_t
        docx_total = snap_t + compose_t + docx_t
        pdf_total = snap_t + compose_t + pdf_t
        pages = len(PdfReader(io.BytesIO(pdf)).pages)

        def verdict(value: float, target: float) -> str:
            return f"target < {target:g} s: {'OK' if value < target else 'MISSED'}"

        print(f"snapshot from the database (history replay): {snap_t * 1000:.0f} ms")
        print(f"compose view (sentences, counts, changes):    {compose_t * 1000:.0f} ms")
        print(
            f"HTML  total {html_total:.2f} s (render {html_t * 1000:.0f} ms, "
            f"{len(html):,} chars) {verdict(html_total, 1)}"
        )
        print(
            f"DOCX  total {docx_total:.2f} s (render {docx_t:.2f} s, {len(docx):,} bytes) "
            f"{verdict(docx_total, 5)}"
        )
        print(
            f"PDF   total {pdf_total:.2f} s (Typst {pdf_t:.2f} s, {len(pdf):,} bytes, "
            f"{pages} pages) {verdict(pdf_total, 15)}"
        )
        print(
            f"bare Jinja2 over one query, same rows: {bare_t * 1000:.0f} ms median of 5; "
            f"HTML total is {html_total / bare_t:.1f}x that"
        )
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            (out / "bench.html").write_text(html, encoding="utf-8")
            (out / "bench.docx").write_bytes(docx)
            (out / "bench.pdf").write_bytes(pdf)
        app.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
