"""Granskningar: the rollup of a rekommendation's status from its åtgärder (pure), reading a
granskning from CSV or XLSX (refused whole, with row and column), importing it again (matched
and updated, never duplicated), the services that link åtgärder and issue the follow-up, and
the `tracker granskning` commands."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, datetime
from pathlib import Path

import lxml.html
import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select
from typer.testing import CliRunner

from tests.support.documents import docx_language, docx_text, pdf_text, squash
from tracker.app import App
from tracker.cli import cli
from tracker.domain.audit import (
    AnswerStatus,
    AuditDoc,
    KnownRecommendation,
    LinkedAction,
    ReadRecommendation,
    merge_recommendations,
    read_audit_file,
    recommendation_line,
    rollup,
)
from tracker.domain.problems import FileRefused
from tracker.domain.reading import WEB_LIMITS
from tracker.errors import Refused
from tracker.models import (
    Audit,
    AuditDocument,
    OutboxMessage,
    Person,
    Recommendation,
    RecommendationAction,
)
from tracker.reports.audit import auditor_message
from tracker.services import audits, plans
from tracker.services.people import valid_email

GOOD_CSV = (
    "Granskning;Revisor;Datum;Dnr;Rekommendation;Yttrande\n"
    "Granskning av grundskolans ledningsfunktion;KPMG;2017-04-28;BUN 2017/58;"
    "Utforma en plan för rektorernas ledarskapsutveckling;Nämnden instämmer.\n"
    ";;;;Tydliggöra lektors uppdrag i organisationen;\n"
).encode()


def linked(
    *,
    started: bool = False,
    done: bool = False,
    final: bool = False,
    withdrawn: bool = False,
    late: bool = False,
) -> LinkedAction:
    return LinkedAction(started=started, done=done, final=final, withdrawn=withdrawn, late=late)


NOT_STARTED = linked()
IN_PROGRESS = linked(started=True)
DONE = linked(started=True, done=True)
EVALUATED = linked(started=True, done=True, final=True)
WITHDRAWN = linked(started=True, done=True, final=True, withdrawn=True)


# --- the rollup, without a database ---------------------------------------------------------


def test_a_recommendation_without_actions_is_unanswered() -> None:
    result = rollup([])
    assert result.status is AnswerStatus.unanswered
    assert result.text == "Ej besvarad"


@pytest.mark.parametrize(
    ("actions", "status"),
    [
        ([NOT_STARTED, NOT_STARTED], AnswerStatus.not_started),
        ([NOT_STARTED, IN_PROGRESS], AnswerStatus.in_progress),
        ([NOT_STARTED, DONE], AnswerStatus.in_progress),
        ([DONE, EVALUATED], AnswerStatus.done),
        ([EVALUATED, EVALUATED], AnswerStatus.evaluated),
        ([EVALUATED, WITHDRAWN], AnswerStatus.evaluated),
        ([DONE, WITHDRAWN], AnswerStatus.done),
        ([WITHDRAWN], AnswerStatus.done),
    ],
)
def test_the_status_rolls_up_from_the_actions(
    actions: list[LinkedAction], status: AnswerStatus
) -> None:
    assert rollup(actions).status is status


def test_a_withdrawn_action_counts_as_done_and_the_status_says_so() -> None:
    result = rollup([DONE, WITHDRAWN])
    assert result.text == "Alla åtgärder klara (varav 1 utgår och räknas som klar)"
    assert rollup([WITHDRAWN]).text == "Alla åtgärder klara (åtgärden utgår)"


def test_the_withdrawn_are_counted_as_done_in_words_agreeing_with_them() -> None:
    """ "varav 2 utgår och räknas som klara"; one beslut "räknas som klart"."""
    two = rollup([DONE, WITHDRAWN, WITHDRAWN])
    assert two.text == "Alla åtgärder klara (varav 2 utgår och räknas som klara)"
    beslut = rollup(
        [DONE, WITHDRAWN], items="åtgärder och beslut", the_item="åtgärden", neuter_withdrawn=True
    )
    assert beslut.text == "Alla åtgärder och beslut klara (varav 1 utgår och räknas som klart)"


def test_the_status_names_what_answers_by_the_nouns_passed_in() -> None:
    """A rekommendation answered by a nämnd's beslut reads "Alla beslut klara", "beslutet
    utgår"; the words default to the åtgärd's."""
    beslut = {"items": "beslut", "the_item": "beslutet"}
    assert rollup([DONE, DONE], **beslut).text == "Alla beslut klara"
    assert rollup([WITHDRAWN], **beslut).text == "Alla beslut klara (beslutet utgår)"
    assert rollup([WITHDRAWN, WITHDRAWN], **beslut).text == "Alla beslut klara (alla beslut utgår)"
    assert rollup([WITHDRAWN, WITHDRAWN]).text == "Alla åtgärder klara (alla åtgärder utgår)"
    assert rollup([DONE], items="åtgärder och beslut").label == "Alla åtgärder och beslut klara"


def test_one_late_action_makes_the_recommendation_late() -> None:
    result = rollup([DONE, linked(started=True, late=True)])
    assert result.late and result.text == "Pågår, försenad"
    assert not rollup([DONE, IN_PROGRESS]).late


# --- reading a file -----------------------------------------------------------------------


def test_a_csv_gives_the_granskning_with_its_recommendations_in_order() -> None:
    [audit] = read_audit_file(GOOD_CSV, "granskning.csv", WEB_LIMITS, valid_email)
    assert (audit.title, audit.auditor, audit.report_on, audit.dnr) == (
        "Granskning av grundskolans ledningsfunktion",
        "KPMG",
        date(2017, 4, 28),
        "BUN 2017/58",
    )
    assert [(r.row, r.text, r.response) for r in audit.recommendations] == [
        (2, "Utforma en plan för rektorernas ledarskapsutveckling", "Nämnden instämmer."),
        (3, "Tydliggöra lektors uppdrag i organisationen", ""),
    ]


def test_a_windows_1252_csv_with_comma_reads_as_the_plans_do() -> None:
    data = GOOD_CSV.decode().replace(";", ",").encode("cp1252")
    [audit] = read_audit_file(data, "granskning.csv", WEB_LIMITS, valid_email)
    assert audit.recommendations[0].text.startswith("Utforma en plan för rektorernas")


def test_an_xlsx_with_a_date_cell_reads_too() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Granskning", "Revisor", "Datum", "Dnr", "Rekommendation", "Yttrande"])
    ws.append(["Granskning av IT", "EY", datetime(2019, 3, 1), "KS 2019/1", "Gör en plan", "Ja"])
    buffer = io.BytesIO()
    wb.save(buffer)
    [audit] = read_audit_file(buffer.getvalue(), "granskning.xlsx", WEB_LIMITS, valid_email)
    assert audit.report_on == date(2019, 3, 1)
    assert audit.recommendations[0].response == "Ja"


def test_a_bad_file_is_refused_whole_naming_each_row_and_column() -> None:
    data = (
        "Granskning;Revisor;Datum;Dnr;Rekommendation;Yttrande\n"
        "Granskning A;KPMG;28 april;BUN 1;Gör något;\n"
        ";;;;;Ett yttrande utan rekommendation\n"
        ";EY;;;Gör mer;\n"
    ).encode()
    with pytest.raises(FileRefused) as refused:
        read_audit_file(data, "fel.csv", WEB_LIMITS, valid_email)
    assert [str(p) for p in refused.value.problems] == [
        "Rad 2, kolumn Datum: '28 april' är inget datum (ÅÅÅÅ-MM-DD).",
        "Rad 3, kolumn Rekommendation: rekommendationens text saknas.",
        "Rad 4, kolumn Revisor: granskningen har ett annat värde på rad 2; lämna cellen tom "
        "eller skriv samma.",
    ]


def test_an_address_the_person_form_refuses_is_refused_in_the_file_with_row_and_column(
    app: App, now: datetime
) -> None:
    data = (
        "Granskning;Revisor;Datum;Dnr;Rekommendation;Yttrande;E-post\n"
        "Granskning A;KPMG;2017-04-28;BUN 1;Gör något;;revisorer@osteraker\n"
    ).encode()
    with pytest.raises(FileRefused) as refused:
        read_audit_file(data, "fel.csv", WEB_LIMITS, valid_email)
    assert [str(p) for p in refused.value.problems] == [
        "Rad 2, kolumn E-post: ogiltig e-postadress 'revisorer@osteraker'"
    ]
    # The granskning's own form refuses it as the person form does.
    with app.transaction() as s, pytest.raises(Refused) as form:
        audits.create_audit(s, now=now, title="B", recipient_email="revisorer@osteraker")
    assert form.value.message == "Revisorernas e-post: Ogiltig e-postadress: 'revisorer@osteraker'."


def test_a_file_without_the_recommendation_column_is_refused_at_its_header() -> None:
    with pytest.raises(FileRefused) as refused:
        read_audit_file(b"Granskning;Revisor\nA;KPMG\n", "fel.csv", WEB_LIMITS, valid_email)
    assert str(refused.value.problems[0]) == (
        "Rad 1: kolumnen Rekommendation saknas i rubrikraden."
    )


def test_matching_takes_each_known_recommendation_once_and_ignores_whitespace() -> None:
    known = [
        KnownRecommendation(1, "Gör en plan", "Ja.\nVi gör den."),
        KnownRecommendation(2, "Gör en plan", ""),
        KnownRecommendation(3, "Något annat", ""),
    ]
    read = [
        ReadRecommendation(2, "Gör  en\nplan", "Ja. Vi gör den."),
        ReadRecommendation(3, "Gör en plan", "Nej."),
        ReadRecommendation(4, "Gör en plan", ""),
    ]
    merge = merge_recommendations(known, read)
    assert ([r.row for r in merge.added], merge.responses) == ([4], ((2, "Nej."),))
    assert (merge.unchanged, merge.not_in_file) == (1, 1)


# --- the services -------------------------------------------------------------------------


FIRST = "Utforma en plan för rektorernas ledarskapsutveckling"
SECOND = "Tydliggöra lektors uppdrag i organisationen"
NEW = "Följ upp rektorernas arbetsmiljö"
# The revisorer's revised list: the first rekommendation with other line breaks and a new
# yttrande, the second left out, a third added; Revisor left empty, Dnr changed.
REVISED_CSV = (
    "Granskning;Revisor;Datum;Dnr;Rekommendation;Yttrande\n"
    'Granskning av grundskolans ledningsfunktion;;;BUN 2017/99;"Utforma en plan för\n'
    'rektorernas  ledarskapsutveckling";Nämnden instämmer och tar fram planen under 2018.\n'
    f";;;;{NEW};\n"
).encode()


def import_file(app: App, now: datetime, data: bytes) -> audits.AuditImport:
    read = read_audit_file(data, "granskning.csv", WEB_LIMITS, valid_email)
    with app.transaction() as s:
        return audits.import_audits(
            s, "granskning.csv", read, now=now, forvaltning="Utbildningsförvaltningen"
        )


def saved(app: App) -> tuple[Audit, list[tuple[str, str]]]:
    with app.transaction() as s:
        [audit] = s.exec(select(Audit)).all()
        assert audit.id is not None
        recs = [(r.text, r.response) for r in audits.recommendations(s, audit.id)]
        s.expunge(audit)
    return audit, recs


def test_importing_the_same_file_twice_duplicates_nothing_and_says_it_is_unchanged(
    app: App, now: datetime
) -> None:
    first = import_file(app, now, GOOD_CSV)
    assert [(o.created, o.added) for o in first.outcomes] == [(True, 2)]
    again = import_file(app, now, GOOD_CSV)
    [outcome] = again.outcomes
    assert (outcome.created, outcome.updated, outcome.added, outcome.unchanged) == (
        False,
        False,
        0,
        2,
    )
    assert outcome.audit_id == first.outcomes[0].audit_id
    assert audits.describe_import(again) == [
        f"Granskning {outcome.audit_id}: Granskning av grundskolans ledningsfunktion (oförändrad).",
        "  Rekommendationer: 0 nya, 0 med ändrat yttrande, 2 oförändrade.",
    ]
    _, recs = saved(app)
    assert recs == [(FIRST, "Nämnden instämmer."), (SECOND, "")]


def test_a_revised_file_adds_a_recommendation_and_changes_a_response_keeping_the_actions(
    app: App, now: datetime
) -> None:
    import_file(app, now, GOOD_CSV)
    with app.transaction() as s:
        [first, second] = s.exec(select(Recommendation).order_by(col(Recommendation.id))).all()
        plan = plans.create_plan(s, now=now, title="Plan", forvaltning="Utbildningsförvaltningen")
        area = plans.ensure_area(s, plan, "Ledarskap")
        for rec in (first, second):
            action = plans.add_action(s, app.registry, area, now=now, text=f"Svar på {rec.id}")
            assert rec.id is not None and action.id is not None
            audits.link(s, rec.id, action.id)
    result = import_file(app, now, REVISED_CSV)
    [outcome] = result.outcomes
    assert (outcome.added, outcome.responses, outcome.unchanged, outcome.not_in_file) == (
        1,
        1,
        0,
        1,
    )
    assert audits.describe_import(result)[1:] == [
        "  Ändrat: Dnr.",
        "  Rekommendationer: 1 ny, 1 med ändrat yttrande, 0 oförändrade.",
        "  1 rekommendation i granskningen finns inte i filen; den lämnades orörd.",
    ]
    _, recs = saved(app)
    assert recs == [
        (FIRST, "Nämnden instämmer och tar fram planen under 2018."),
        (SECOND, ""),
        (NEW, ""),
    ]
    with app.transaction() as s:
        assert len(s.exec(select(RecommendationAction)).all()) == 2


def test_an_empty_cell_keeps_the_value_the_granskning_has(app: App, now: datetime) -> None:
    import_file(app, now, GOOD_CSV)
    emptied = (
        "Granskning;Revisor;Datum;Dnr;Rekommendation;Yttrande\n"
        f"Granskning av grundskolans ledningsfunktion;;;;{FIRST};\n"
    ).encode()
    [outcome] = import_file(app, now, emptied).outcomes
    assert (outcome.changed, outcome.unchanged, outcome.not_in_file) == ((), 1, 1)
    audit, recs = saved(app)
    assert (audit.auditor, audit.report_on, audit.dnr) == ("KPMG", date(2017, 4, 28), "BUN 2017/58")
    assert recs[0] == (FIRST, "Nämnden instämmer.")


def test_one_bad_row_refuses_a_file_that_would_also_update_and_nothing_changes(
    app: App, now: datetime
) -> None:
    import_file(app, now, GOOD_CSV)
    # The granskning given twice, apart: its two parts cannot be merged in a clear order.
    repeated = (
        REVISED_CSV
        + (
            "Granskning av IT;EY;2019-03-01;KS 2019/1;Gör en plan;\n"
            f"Granskning av grundskolans ledningsfunktion;;;;{SECOND};Ja\n"
        ).encode()
    )
    with pytest.raises(Refused, match=r"rad 5: Granskningen .* står redan på rad 2"):
        import_file(app, now, repeated)
    audit, recs = saved(app)
    assert audit.dnr == "BUN 2017/58"
    assert recs == [(FIRST, "Nämnden instämmer."), (SECOND, "")]


def test_the_status_follows_the_actions_in_several_plans_and_late_counts(
    app: App, now: datetime, chef: Person
) -> None:
    with app.transaction() as s:
        audit = audits.create_audit(
            s, now=now, title="Granskning", forvaltning=chef.forvaltning, auditor="KPMG"
        )
        rec = audits.add_recommendation(s, audit, "Förbättra informationsöverföringen")
        first = plans.create_plan(s, now=now, title="Plan A", forvaltning=chef.forvaltning)
        second = plans.create_plan(s, now=now, title="Plan B", forvaltning=chef.forvaltning)
        done = plans.add_action(
            s, app.registry, plans.ensure_area(s, first, "Område"), now=now, text="A", state="klar"
        )
        late = plans.add_action(
            s,
            app.registry,
            plans.ensure_area(s, second, "Område"),
            now=now,
            text="B",
            due_on=date(2018, 1, 1),
        )
        assert audit.id and done.id and late.id
        assert audits.audit_view(s, app.registry, audit.id, date(2018, 1, 10)).recommendations[
            0
        ].status.text == ("Ej besvarad")
        audits.link_action(s, rec, done.id, user=chef)
        audits.link_action(s, rec, late.id, user=chef)
        with pytest.raises(Refused, match="redan kopplad"):
            audits.link_action(s, rec, late.id, user=chef)
        [view] = audits.audit_view(s, app.registry, audit.id, date(2018, 1, 10)).recommendations
        assert [a.plan.title for a in view.actions] == ["Plan A", "Plan B"]
        assert view.status.text == "Pågår, försenad"
        assert first.id is not None
        [answer] = audits.answered_by_plan(s, app.registry, first.id, date(2018, 1, 10), chef)
        assert (answer.audit.title, answer.status.text) == ("Granskning", "Pågår, försenad")


def test_word_checks_the_follow_up_docx_as_swedish(app: App, now: datetime, chef: Person) -> None:
    with app.transaction() as s:
        audit = audits.create_audit(s, now=now, title="Granskning", forvaltning=chef.forvaltning)
        audits.add_recommendation(s, audit, "Skapa rutiner för kvalitetsarbetet")
        rows = audits.issue(s, app.registry, audit, now=now, tz=app.tz, actor=chef)
        [docx] = [r.data for r in rows if r.format == "docx"]
    assert docx_language(docx) == "sv-SE"


def test_an_emoji_in_a_recommendation_leaves_a_box_in_the_pdf_and_itself_elsewhere(
    app: App, now: datetime, chef: Person
) -> None:
    with app.transaction() as s:
        audit = audits.create_audit(s, now=now, title="Granskning 🩺", forvaltning=chef.forvaltning)
        audits.add_recommendation(s, audit, "Skapa rutiner 😀 för 漢字")
        docs = {
            r.format: r.data
            for r in audits.issue(s, app.registry, audit, now=now, tz=app.tz, actor=chef)
        }
    assert squash("Skapa rutiner □ för □□") in squash(pdf_text(docs["pdf"]))
    assert "Granskning 🩺" in pdf_text(docs["pdf"])
    assert "Skapa rutiner 😀 för 漢字" in docs["html"].decode()
    assert "Skapa rutiner 😀 för 漢字" in docx_text(docs["docx"])


def test_an_issued_document_is_archived_with_its_sha256_and_the_database_refuses_changes(
    app: App, now: datetime, chef: Person
) -> None:
    with app.transaction() as s:
        audit = audits.create_audit(s, now=now, title="Granskning", forvaltning=chef.forvaltning)
        with pytest.raises(Refused, match="inga rekommendationer"):
            audits.issue(s, app.registry, audit, now=now, tz=app.tz, actor=chef)
        audits.add_recommendation(s, audit, "Skapa rutiner för kvalitetsarbetet")
        rows = audits.issue(s, app.registry, audit, now=now, tz=app.tz, actor=chef)
        assert [r.format for r in rows] == ["html", "pdf", "docx"]
        assert {r.number for r in rows} == {1}
        doc_id = rows[0].id
    with app.transaction() as s:
        stored = s.get(AuditDocument, doc_id)
        assert stored is not None
        assert stored.sha256 == hashlib.sha256(stored.data).hexdigest()
        assert b"Skapa rutiner f\xc3\xb6r kvalitetsarbetet" in stored.data
    for statement in (
        "UPDATE granskning_dokument SET data = :x WHERE id = :id",
        "DELETE FROM granskning_dokument WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="allmän handling"), app.engine.begin() as conn:
            conn.execute(text(statement), {"x": b"annat", "id": doc_id})


def _follow_up(title: str, auditor: str, report_on: str = "2024-03-01") -> AuditDoc:
    return AuditDoc(
        title="Uppföljning av granskning",
        audit_title=title,
        auditor=auditor,
        report_on=report_on,
        dnr="SN 2024/12",
        forvaltning="Socialförvaltningen",
        namnd="Socialnämnden",
        date_text="2024-09-02",
        place_date="Piteå 2024-09-02",
        signer="Malin Westling, förvaltningschef",
        recommendations=(),
    )


REST = ": rekommendationerna, nämndens yttrande, åtgärderna som svarar mot dem och deras läge."


@pytest.mark.parametrize(
    ("title", "auditor", "report_on", "intro"),
    [
        # A title that says it is a granskning opens the sentence as written, and the firm
        # is not read as the object of the title's own "av".
        (
            "Granskning av ekonomiskt bistånd",
            "KPMG",
            "2024-03-01",
            "Granskning av ekonomiskt bistånd, utförd av KPMG (2024-03-01)",
        ),
        (
            "Granskning av socialnämndens styrning av hemtjänsten",
            "PwC",
            "",
            "Granskning av socialnämndens styrning av hemtjänsten, utförd av PwC",
        ),
        (
            "Fördjupad granskning av överförmyndarverksamheten",
            "EY",
            "2023-11-15",
            "Fördjupad granskning av överförmyndarverksamheten, utförd av EY (2023-11-15)",
        ),
        (
            "granskningsrapport om kommunens IT-säkerhet",
            "",
            "",
            "Granskningsrapport om kommunens IT-säkerhet",
        ),
        # Any other title is the granskning's name, quoted as the mail to the revisorer does.
        (
            "Ekonomiskt bistånd",
            "KPMG",
            "2024-03-01",
            "Granskningen ”Ekonomiskt bistånd”, utförd av KPMG (2024-03-01)",
        ),
        (
            "Intern kontroll 2024",
            "",
            "2024-03-01",
            "Granskningen ”Intern kontroll 2024” (2024-03-01)",
        ),
    ],
)
def test_the_follow_up_opens_with_the_granskning_named_once_whatever_its_title(
    title: str, auditor: str, report_on: str, intro: str
) -> None:
    """A nämndsekreterare would never write "Granskningen Granskning av ekonomiskt bistånd
    av KPMG": the word twice, and the firm read as what was granskat."""
    assert _follow_up(title, auditor, report_on).intro == intro + REST


def test_every_format_of_the_follow_up_says_its_opening_sentence_the_same_way() -> None:
    doc = _follow_up("Granskning av ekonomiskt bistånd", "KPMG")
    expected = "Granskning av ekonomiskt bistånd, utförd av KPMG (2024-03-01)" + REST
    html = lxml.html.fromstring(audits.render(doc, "html"))
    assert expected in html.text_content()
    assert squash(expected) in squash(pdf_text(audits.render(doc, "pdf")))
    assert expected in docx_text(audits.render(doc, "docx"))
    for said in (html.text_content(), pdf_text(audits.render(doc, "pdf"))):
        assert "Granskningen Granskning" not in said


def test_the_mail_to_the_revisorer_names_a_granskning_once() -> None:
    said = auditor_message(
        "revisorerna@pitea.example", _follow_up("Granskning av ekonomiskt bistånd", "KPMG"), 1, ()
    ).text
    assert "uppföljningen av ”Granskning av ekonomiskt bistånd” (Dnr SN 2024/12)" in said
    said = auditor_message(
        "revisorerna@pitea.example", _follow_up("Ekonomiskt bistånd", "KPMG"), 1, ()
    ).text
    assert "uppföljningen av granskningen ”Ekonomiskt bistånd” (Dnr SN 2024/12)" in said


def test_the_follow_up_names_decisions_that_answer_a_recommendation_as_beslut(
    app: App, now: datetime, chef: Person
) -> None:
    """A protokoll's decision that answers a rekommendation is a beslut in every format of the
    follow-up and in the mail to the revisorer; a rekommendation answered by åtgärder reads
    as before."""
    with app.transaction() as s:
        audit = audits.create_audit(
            s,
            now=now,
            title="Granskning av lokalförsörjningen",
            forvaltning=chef.forvaltning,
            recipient_email="revisorerna@pitea.example",
        )
        decided = audits.add_recommendation(s, audit, "Besluta om en lokalförsörjningsplan")
        acted = audits.add_recommendation(s, audit, "Inventera lokalerna")
        plan = plans.create_plan(s, now=now, title="Nämndens beslut", forvaltning=chef.forvaltning)
        decision = plans.add_action(
            s,
            app.registry,
            plans.ensure_area(s, plan, "Sammanträdet 14 juni"),
            now=now,
            workflow="protokoll",
            text="Lokalförsörjningsplanen tas fram till hösten",
        )
        action = plans.add_action(
            s, app.registry, plans.ensure_area(s, plan, "Lokaler"), now=now, text="Inventera"
        )
        assert decision.id and action.id
        audits.link_action(s, decided, decision.id, user=chef)
        audits.link_action(s, acted, action.id, user=chef)
        rows = audits.issue(s, app.registry, audit, now=now, tz=app.tz, actor=chef, send=True)
        docs = {r.format: r.data for r in rows}
        [mail] = s.exec(select(OutboxMessage)).all()
    page = lxml.html.fromstring(docs["html"])
    headers = [t.xpath("string(thead/tr/th[2])") for t in page.xpath("//table[thead]")]
    captions = [" ".join(t.xpath("string(caption)").split()) for t in page.xpath("//table[thead]")]
    assert headers == ["Beslut", "Åtgärd"]
    assert captions == ["Beslut för rekommendation 1", "Åtgärder för rekommendation 2"]
    opening = "nämndens yttrande, åtgärderna och besluten som svarar mot dem och deras läge."
    assert opening in page.text_content()
    for said in (pdf_text(docs["pdf"]), docx_text(docs["docx"])):
        assert squash(opening) in squash(said)
        assert squash("Plan och utvecklingsområde Beslut Tidsplan") in squash(said)
        assert squash("Plan och utvecklingsområde Åtgärd Tidsplan") in squash(said)
    assert "nämndens yttrande och de åtgärder och beslut som svarar mot den." in mail.body_text


# --- the commands -------------------------------------------------------------------------


def tracker(db_url: str, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--database", db_url, *args])
    assert result.exit_code == code, result.output
    return result.output


def test_the_cli_imports_a_granskning_and_shows_it_as_json(db_url: str, tmp_path: Path) -> None:
    good = tmp_path / "granskning.csv"
    good.write_bytes(GOOD_CSV)
    out = tracker(db_url, "granskning", "import", str(good), "--forvaltning", "Utbildning")
    assert "granskning.csv: 1 granskning." in out
    assert "Rekommendationer: 2 nya, 0 med ändrat yttrande, 0 oförändrade." in out
    audit_id = out.splitlines()[1].split()[1].rstrip(":")
    data = json.loads(tracker(db_url, "granskning", "show", audit_id, "--json"))
    assert data["auditor"] == "KPMG" and data["forvaltning"] == "Utbildning"
    assert [(r["text"][:18], r["status"], r["status_label"]) for r in data["recommendations"]] == [
        ("Utforma en plan fö", "ej_besvarad", "Ej besvarad"),
        ("Tydliggöra lektors", "ej_besvarad", "Ej besvarad"),
    ]
    text_out = tracker(db_url, "granskning", "show", audit_id)
    assert "Granskning av grundskolans ledningsfunktion" in text_out
    # As its help says, the nämnd's yttranden are shown, as the granskning's page shows them.
    assert "Nämndens yttrande över rekommendation 1: Nämnden instämmer." in text_out
    assert "Nämndens yttrande över rekommendation 2: Inget yttrande är skrivet." in text_out


def test_the_cli_refuses_a_bad_file_with_row_and_column_and_saves_nothing(
    db_url: str, tmp_path: Path, app: App
) -> None:
    bad = tmp_path / "fel.csv"
    bad.write_bytes("Granskning;Datum;Rekommendation\nA;igår;Gör\n".encode())
    out = tracker(db_url, "granskning", "import", str(bad), code=1)
    assert "Rad 2, kolumn Datum: 'igår' är inget datum" in out
    with app.transaction() as s:
        assert s.exec(select(Audit)).all() == []
    assert "Ingen granskning med nummer 99" in tracker(db_url, "granskning", "show", "99", code=1)


def test_the_cli_reports_an_update_and_a_dry_run_of_it_saves_nothing(
    db_url: str, tmp_path: Path, app: App
) -> None:
    good, revised = tmp_path / "granskning.csv", tmp_path / "reviderad.csv"
    good.write_bytes(GOOD_CSV)
    revised.write_bytes(REVISED_CSV)
    tracker(db_url, "granskning", "import", str(good), "--forvaltning", "Utbildningsförvaltningen")
    args = ("granskning", "import", str(revised), "--forvaltning", "Utbildningsförvaltningen")
    tried = tracker(db_url, *args, "--dry-run")
    assert tried.splitlines()[1:] == [
        f"Granskning {saved(app)[0].id}: Granskning av grundskolans ledningsfunktion (uppdaterad).",
        "  Ändrat: Dnr.",
        "  Rekommendationer: 1 ny, 1 med ändrat yttrande, 0 oförändrade.",
        "  1 rekommendation i granskningen finns inte i filen; den lämnades orörd.",
        "Provkörning: ingenting sparades.",
    ]
    audit, recs = saved(app)
    assert audit.dnr == "BUN 2017/58" and recs == [(FIRST, "Nämnden instämmer."), (SECOND, "")]
    done = tracker(db_url, *args)
    assert "(uppdaterad)" in done and "Provkörning" not in done
    assert [t for t, _ in saved(app)[1]] == [FIRST, SECOND, NEW]
    assert "(oförändrad)" in tracker(db_url, *args)


def test_the_cli_refuses_a_revised_file_with_one_bad_row_and_changes_nothing(
    db_url: str, tmp_path: Path, app: App
) -> None:
    good, revised = tmp_path / "granskning.csv", tmp_path / "reviderad.csv"
    good.write_bytes(GOOD_CSV)
    revised.write_bytes(REVISED_CSV + f";;igår;;{SECOND};Ja\n".encode())
    tracker(db_url, "granskning", "import", str(good), "--forvaltning", "Utbildningsförvaltningen")
    args = ("granskning", "import", str(revised), "--forvaltning", "Utbildningsförvaltningen")
    out = tracker(db_url, *args, code=1)
    assert "kolumn Datum: 'igår' är inget datum" in out
    audit, recs = saved(app)
    assert audit.dnr == "BUN 2017/58" and recs == [(FIRST, "Nämnden instämmer."), (SECOND, "")]


@pytest.mark.parametrize(
    ("title", "line"),
    [
        (
            "Granskning av ekonomiskt bistånd",
            "Från ”Granskning av ekonomiskt bistånd”, rekommendation 2",
        ),
        ("Ekonomiskt bistånd", "Från granskningen ”Ekonomiskt bistånd”, rekommendation 2"),
    ],
)
def test_an_atgard_names_the_granskning_it_answers_once(title: str, line: str) -> None:
    """On the åtgärd's page and in its owner's mail, as the follow-up names it."""
    assert recommendation_line(title, 2) == line


def test_the_command_line_checks_every_issued_follow_up_against_its_sha256(
    app: App, now: datetime, chef: Person, db_url: str
) -> None:
    """As `tracker report verify` does for an återrapport: after an upgrade or a restore, every
    issued version of a granskning's follow-up is checked against the SHA-256 it was issued
    with."""
    with app.transaction() as s:
        audit = audits.create_audit(s, now=now, title="Granskning", forvaltning=chef.forvaltning)
        audits.add_recommendation(s, audit, "Skapa rutiner för kvalitetsarbetet")
        audits.issue(s, app.registry, audit, now=now, tz=app.tz, actor=chef)
        audits.issue(s, app.registry, audit, now=now, tz=app.tz, actor=chef)
        audit_id = audit.id
    result = CliRunner().invoke(cli, ["--database", db_url, "granskning", "verify", str(audit_id)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"version {number} {fmt}: arkivet oförändrat"
        for number in (2, 1)
        for fmt in ("docx", "html", "pdf")
    ]
    result = CliRunner().invoke(cli, ["--database", db_url, "granskning", "verify", "999"])
    assert result.exit_code == 1
    assert "Ingen granskning" in result.output
