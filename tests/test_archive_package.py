"""An issued återrapport as an archive package (E-ARK SIP after FGS Paketstruktur), on SQLite
and PostgreSQL: METS and PREMIS valid against the official schemas shipped in the product,
every checksum matching its file's bytes, the archived documents unchanged, a report issued
with a PDF that is no PDF/A, the commands, the download on the report's page, and tampering
found by verify-package."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import xmlschema
from fastapi.testclient import TestClient
from pypdf import PdfWriter
from sqlmodel import select
from typer.testing import CliRunner

from tests.web.helpers import MovableClock, log_in
from tracker.app import App
from tracker.cli import cli
from tracker.domain.meetings import MeetingRow
from tracker.errors import Refused
from tracker.models import Person, Report, ReportFile, Role
from tracker.reports import archive
from tracker.services import meetings, people, plans, reports
from tracker.web.main import create_app

SCHEMAS = Path(archive.__file__).parent / "schemas"
NS = {
    "mets": "http://www.loc.gov/METS/",
    "xlink": "http://www.w3.org/1999/xlink",
    "premis": "http://www.loc.gov/premis/v3",
    "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS",
    "ext": "ExtensionMETS",
    "dcterms": "http://purl.org/dc/terms/",
}
HREF = "{http://www.w3.org/1999/xlink}href"
PACKAGE_ID = uuid.UUID("6f1c2a0e-8d3b-4c55-9a7e-2b1f0c9d4e31")


@pytest.fixture(scope="module")
def mets_schema() -> xmlschema.XMLSchema:
    """METS 1.12 with XLink and the CSIP extension, from the shipped files alone: the XLink
    import's address at loc.gov is mapped to the copy, and nothing outside the directory may
    be read, so a schema that needed the network would fail here."""
    return xmlschema.XMLSchema(
        [str(SCHEMAS / "mets.xsd"), str(SCHEMAS / "DILCISExtensionMETS.xsd")],
        allow="sandbox",
        uri_mapper={
            "http://www.loc.gov/standards/xlink/xlink.xsd": (SCHEMAS / "xlink.xsd").as_uri()
        },
    )


@pytest.fixture(scope="module")
def premis_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "premis-v3-0.xsd"), allow="sandbox")


@dataclass
class Issued:
    report_id: int
    chef: Person
    issued_at: datetime


def make_issued_report(app: App, now: datetime, *meetings_held: MeetingRow) -> Issued:
    with app.transaction() as s:
        if meetings_held:
            meetings.import_meetings(s, meetings_held, lead_days=21, now=now)
        chef = people.ensure_person(
            s,
            "malin.westling@pitea.example",
            now=now,
            name="Malin Westling",
            role=Role.chef,
            forvaltning="Barn- och utbildningsförvaltningen",
        )
        plan = plans.create_plan(
            s,
            now=now,
            title="Åtgärdsplan efter granskning av ledningen",
            forvaltning=chef.forvaltning,
            namnd="Barn- och utbildningsnämnden",
            dnr="BUN 2017/42",
            ort="Piteå",
            signatory_name="Malin Westling",
            signatory_title="förvaltningschef",
            chef_id=chef.id,
            # The meeting's month, for a plan whose nämnd has a sammanträdesplan.
            report_months=",".join(str(m.held_on.month) for m in meetings_held),
        )
        area = plans.ensure_area(s, plan, "Ekonomi")
        plans.add_action(s, app.registry, area, now=now, text="Ta fram ett upplägg")
        assert plan.id is not None
        report = reports.draft_report(
            s, app.registry, plan.id, as_of=date(2018, 1, 10), now=now, tz=app.tz, draft_days=14
        )
        assert report.id is not None
    issued_at = now + timedelta(days=1)
    with app.transaction() as s:
        reports.approve_report(s, app.registry, report.id, chef, now=issued_at, tz=app.tz)
    return Issued(report.id, chef, issued_at)


def build(app: App, report_id: int, now: datetime, **kwargs: str) -> archive.Package:
    with app.transaction() as s:
        return archive.archive_package(
            s, report_id, now=now, tz=app.tz, package_id=PACKAGE_ID, **kwargs
        )


def stored_files(app: App, report_id: int) -> dict[str, ReportFile]:
    with app.transaction() as s:
        rows = s.exec(select(ReportFile).where(ReportFile.report_id == report_id)).all()
        return {f.format: f for f in rows}


def checksums_match(directory: Path) -> list[str]:
    """Every file METS and PREMIS list, against its bytes: what does not match."""
    wrong = []
    mets = ET.parse(directory / "METS.xml").getroot()
    for element in [*mets.iterfind(".//mets:file", NS), *mets.iterfind(".//mets:mdRef", NS)]:
        href = element.get(HREF) or element.find("mets:FLocat", NS).get(HREF)  # type: ignore[union-attr]
        data = (directory / href).read_bytes()
        assert element.get("CHECKSUMTYPE") == "SHA-256"
        if element.get("CHECKSUM") != hashlib.sha256(data).hexdigest():
            wrong.append(f"METS {href}")
        if element.get("SIZE") != str(len(data)):
            wrong.append(f"METS size {href}")
    premis = ET.parse(directory / "metadata/preservation/premis.xml").getroot()
    for obj in premis.iterfind("premis:object", NS):
        path = obj.findtext("premis:objectIdentifier/premis:objectIdentifierValue", None, NS)
        assert path is not None
        data = (directory / path).read_bytes()
        fixity = obj.find("premis:objectCharacteristics/premis:fixity", NS)
        assert fixity is not None
        assert fixity.findtext("premis:messageDigestAlgorithm", None, NS) == "SHA-256"
        if fixity.findtext("premis:messageDigest", None, NS) != hashlib.sha256(data).hexdigest():
            wrong.append(f"PREMIS {path}")
        size = obj.findtext("premis:objectCharacteristics/premis:size", None, NS)
        if size != str(len(data)):
            wrong.append(f"PREMIS size {path}")
    return wrong


def data_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (directory / "representations/rep1/data").iterdir()}


def test_an_issued_report_becomes_a_package_valid_by_the_official_schemas_with_every_checksum(
    app: App,
    now: datetime,
    tmp_path: Path,
    mets_schema: xmlschema.XMLSchema,
    premis_schema: xmlschema.XMLSchema,
) -> None:
    issued = make_issued_report(app, now)
    packed_at = now + timedelta(days=40)
    package = build(app, issued.report_id, packed_at, submission_agreement="RA 2018/17")
    target = tmp_path / "paket"
    package.write(target)

    mets_schema.validate(str(target / "METS.xml"))
    premis_schema.validate(str(target / "metadata/preservation/premis.xml"))
    assert checksums_match(target) == []
    assert archive.verify_package(target) == []

    # The documents are the archived bytes, untouched: the same SHA-256 as when issued.
    stored = stored_files(app, issued.report_id)
    assert data_files(target) == {f.filename: f.data for f in stored.values()}
    for f in stored.values():
        assert hashlib.sha256(f.data).hexdigest() == f.sha256
    pdf = stored["pdf"].data
    assert re.search(rb"<pdfaid:part>2</pdfaid:part>", pdf)
    assert archive.pdfa_level(pdf) in ("2A", "2B")
    with app.transaction() as s:
        assert all(v.intact for v in reports.verify_report(s, issued.report_id).values())

    mets = ET.parse(target / "METS.xml").getroot()
    assert mets.get("OBJID") == f"UUID:{PACKAGE_ID}"
    assert mets.get("TYPE") == "Single records"
    assert mets.get("PROFILE") == (
        "http://xml.ra.se/e-arkiv/METS/CommonSpecificationSwedenPackageProfile.xml"
    )
    header = mets.find("mets:metsHdr", NS)
    assert header is not None
    assert header.get("CREATEDATE") == "2018-02-19T10:00:00+01:00"
    assert header.get("{ExtensionMETS}OAISTYPE") == "SIP"
    agents = {
        (a.get("ROLE"), a.get("TYPE"), a.get("OTHERTYPE")): a.findtext("mets:name", None, NS)
        for a in header.iterfind("mets:agent", NS)
    }
    assert agents[("ARCHIVIST", "ORGANIZATION", None)] == "Barn- och utbildningsförvaltningen"
    assert "atgardsplan-tracker" in (agents[("CREATOR", "OTHER", "SOFTWARE")] or "")
    version_note = header.find("mets:agent[@OTHERTYPE='SOFTWARE']/mets:note", NS)
    assert version_note is not None and version_note.text
    assert version_note.get(f"{{{NS['csip']}}}NOTETYPE") == "SOFTWARE VERSION"
    assert header.findtext("mets:altRecordID[@TYPE='SUBMISSIONAGREEMENT']", None, NS) == (
        "RA 2018/17"
    )

    described = [
        (e.tag.split("}")[1], e.text)
        for e in mets.iterfind("mets:dmdSec/mets:mdWrap/mets:xmlData/*", NS)
    ]
    for fact in [
        ("title", "Återrapport nr 1: Åtgärdsplan efter granskning av ledningen"),
        ("audience", "Barn- och utbildningsnämnden"),
        ("identifier", "Dnr BUN 2017/42"),
        ("identifier", "Återrapport nr 1"),
        ("temporal", "Läget per 2018-01-10"),
        ("dateAccepted", "2018-01-11"),
        ("contributor", "Malin Westling, förvaltningschef"),
    ]:
        assert fact in described

    files = {
        f.find("mets:FLocat", NS).get(HREF): f  # type: ignore[union-attr]
        for f in mets.iterfind(".//mets:file", NS)
    }
    pdf_path = f"representations/rep1/data/{stored['pdf'].filename}"
    assert files[pdf_path].get("MIMETYPE") == "application/pdf"
    assert files[pdf_path].get("CREATED") == "2018-01-11T10:00:00+01:00"
    assert set(files) == {
        *(f"representations/rep1/data/{f.filename}" for f in stored.values()),
        *(f"schemas/{name}" for name in archive.SHIPPED_SCHEMAS),
    }
    assert [d.get("LABEL") for d in mets.iterfind("mets:structMap/mets:div/mets:div", NS)] == [
        "Metadata",
        "Schemas",
        "Representations/rep1",
    ]

    premis = ET.parse(target / "metadata/preservation/premis.xml").getroot()
    formats = {
        obj.findtext("premis:originalName", None, NS): (
            obj.findtext(".//premis:formatName", None, NS),
            obj.findtext(".//premis:formatVersion", None, NS),
        )
        for obj in premis.iterfind("premis:object", NS)
    }
    assert formats[stored["pdf"].filename] == ("PDF/A", "2a")
    assert len(formats) == 3
    events = [
        (e.findtext("premis:eventType", None, NS), e.findtext("premis:eventDateTime", None, NS))
        for e in premis.iterfind("premis:event", NS)
    ]
    assert ("creation", "2018-01-11T10:00:00+01:00") in events  # issued
    assert ("fixity check", "2018-02-19T10:00:00+01:00") in events
    assert events[-1] == ("creation", "2018-02-19T10:00:00+01:00")  # the package
    agent_types = [
        a.findtext("premis:agentType", None, NS) for a in premis.iterfind("premis:agent", NS)
    ]
    assert agent_types == ["software", "organization", "person"]


def test_the_package_names_the_meeting_the_report_went_to(
    app: App,
    now: datetime,
    tmp_path: Path,
    mets_schema: xmlschema.XMLSchema,
    premis_schema: xmlschema.XMLSchema,
) -> None:
    """The registrator files the package under the nämnd's sammanträde, as the document
    itself names it."""
    february = MeetingRow(board="Barn- och utbildningsnämnden", held_on=date(2018, 2, 7), uid="f")
    issued = make_issued_report(app, now, february)
    target = tmp_path / "paket"
    build(app, issued.report_id, now + timedelta(days=40)).write(target)
    mets_schema.validate(str(target / "METS.xml"))
    premis_schema.validate(str(target / "metadata/preservation/premis.xml"))
    assert archive.verify_package(target) == []

    line = "Till Barn- och utbildningsnämndens sammanträde den 7 februari 2018"
    mets = ET.parse(target / "METS.xml").getroot()
    described = mets.find("mets:dmdSec/mets:mdWrap/mets:xmlData", NS)
    assert described is not None
    assert described.findtext("dcterms:relation", None, NS) == line
    descriptions = [e.text or "" for e in described.iterfind("dcterms:description", NS)]
    assert any(d.endswith(f" {line}.") for d in descriptions)
    premis = ET.parse(target / "metadata/preservation/premis.xml").getroot()
    details = [
        e.findtext("premis:eventDetailInformation/premis:eventDetail", None, NS)
        for e in premis.iterfind("premis:event", NS)
    ]
    assert (
        "Återrapport nr 1, till Barn- och utbildningsnämndens sammanträde den 7 februari 2018, "
        "utfärdades när Malin Westling godkände den" in " ".join(d or "" for d in details)
    )
    html = stored_files(app, issued.report_id)["html"].data.decode()
    assert line in html


def test_a_report_at_no_meeting_has_no_meeting_in_its_package(app: App, now: datetime) -> None:
    issued = make_issued_report(app, now)
    package = build(app, issued.report_id, now + timedelta(days=40))
    assert b"relation" not in package.files["METS.xml"]
    assert "sammanträde".encode() not in package.files["METS.xml"]


def test_the_schemas_reject_a_mets_that_breaks_them(app: App, now: datetime) -> None:
    """The validation bites: a checksum type METS does not know is refused by its schema."""
    issued = make_issued_report(app, now)
    mets = build(app, issued.report_id, now + timedelta(days=2)).files["METS.xml"]
    assert archive.schema_problems("METS.xml", mets) == []
    broken = mets.replace(b'CHECKSUMTYPE="SHA-256"', b'CHECKSUMTYPE="SHA256"', 1)
    [problem] = archive.schema_problems("METS.xml", broken)
    assert problem.startswith("METS.xml: följer inte schemat")


def test_a_tampered_missing_or_extra_file_is_found_by_verify_package(
    app: App, now: datetime, tmp_path: Path
) -> None:
    issued = make_issued_report(app, now)
    target = tmp_path / "paket"
    build(app, issued.report_id, now + timedelta(days=2)).write(target)
    assert archive.verify_package(target) == []
    [docx] = (target / "representations/rep1/data").glob("*.docx")
    docx.write_bytes(docx.read_bytes()[:-1] + b"x")
    relative = f"representations/rep1/data/{docx.name}"
    assert archive.verify_package(target) == [
        f"{relative} stämmer inte med sin SHA-256 i METS.xml: filen är ändrad.",
        f"{relative} stämmer inte med sin SHA-256 i metadata/preservation/premis.xml: "
        "filen är ändrad.",
    ]
    docx.unlink()
    (target / "representations/rep1/data/extra.txt").write_text("x")
    problems = archive.verify_package(target)
    assert f"{relative} saknas (listad i METS.xml)." in problems
    assert "representations/rep1/data/extra.txt finns i paketet men står inte i METS.xml." in (
        problems
    )
    assert archive.verify_package(tmp_path / "inget") == [
        f"{tmp_path / 'inget'} är inget arkivpaket: METS.xml saknas."
    ]


def test_a_size_in_digits_int_cannot_read_is_a_problem_found_not_a_failure(
    app: App, now: datetime, tmp_path: Path
) -> None:
    # "²".isdigit() is true, but int() refuses it: verify says the package is wrong.
    issued = make_issued_report(app, now)
    target = tmp_path / "paket"
    build(app, issued.report_id, now + timedelta(days=2)).write(target)
    mets = target / "METS.xml"
    mets.write_bytes(re.sub(rb'SIZE="\d+"', 'SIZE="²"'.encode(), mets.read_bytes(), count=1))
    problems = archive.verify_package(target)
    assert problems and problems[0].startswith("METS.xml: följer inte schemat")


def test_a_draft_is_refused(app: App, now: datetime) -> None:
    issued = make_issued_report(app, now)
    with app.transaction() as s:
        plan_id = reports.get_report(s, issued.report_id).plan_id
        later = reports.draft_report(
            s,
            app.registry,
            plan_id,
            as_of=date(2018, 1, 20),
            now=now + timedelta(days=10),
            tz=app.tz,
            draft_days=14,
        )
        assert later.id is not None
    with pytest.raises(Refused, match="Ett utkast kan inte arkiveras"):
        build(app, later.id, now + timedelta(days=11))


def _issue_with_a_plain_pdf(app: App, now: datetime, *, recorded_sha256: str = "") -> int:
    """A report issued the way an earlier version did, with a PDF that is no PDF/A: its
    files are stored while it is a draft and it is then numbered, as approve_report does."""
    issued = make_issued_report(app, now)
    with app.transaction() as s:
        plan_id = reports.get_report(s, issued.report_id).plan_id
        report = reports.draft_report(
            s,
            app.registry,
            plan_id,
            as_of=date(2018, 2, 1),
            now=now + timedelta(days=30),
            tz=app.tz,
            draft_days=14,
        )
        assert report.id is not None
        snap = reports.snapshot_of(report).issued(
            reports.IssueSnap(
                number=2,
                issued_at=(now + timedelta(days=31)).astimezone(app.tz),
                approved_by="Malin Westling",
            )
        )
        plain = io.BytesIO()
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        writer.write(plain)
        documents = {**reports.render(snap, ("html", "docx")), "pdf": plain.getvalue()}
        for fmt, data in documents.items():
            s.add(
                ReportFile(
                    report_id=report.id,
                    format=fmt,
                    filename=reports.filename_for(snap, fmt),
                    content_type=reports.CONTENT_TYPES[fmt],
                    data=data,
                    sha256=(
                        recorded_sha256
                        if recorded_sha256 and fmt == "docx"
                        else hashlib.sha256(data).hexdigest()
                    ),
                )
            )
        s.flush()
        stored = s.get(Report, report.id)
        assert stored is not None
        stored.state, stored.number = "godkand", 2
        stored.snapshot_json = snap.to_json()
        stored.approved_by = "Malin Westling <malin.westling@pitea.example>"
        stored.approved_at = now + timedelta(days=31)
        s.add(stored)
        return report.id


def test_a_report_issued_with_a_pdf_that_is_no_pdfa_gets_one_made_from_its_snapshot(
    app: App, now: datetime, tmp_path: Path, mets_schema: xmlschema.XMLSchema
) -> None:
    report_id = _issue_with_a_plain_pdf(app, now)
    stored = stored_files(app, report_id)
    assert archive.pdfa_level(stored["pdf"].data) is None
    target = tmp_path / "paket"
    build(app, report_id, now + timedelta(days=40)).write(target)
    mets_schema.validate(str(target / "METS.xml"))
    assert checksums_match(target) == []
    assert archive.verify_package(target) == []

    files = data_files(target)
    original, derived = stored["pdf"].filename, stored["pdf"].filename[:-4] + "-pdfa.pdf"
    assert set(files) == {original, derived, stored["docx"].filename, stored["html"].filename}
    # The record is as issued; the PDF/A beside it is made from the same snapshot.
    assert files[original] == stored["pdf"].data
    assert archive.pdfa_level(files[derived]) == "2A"
    assert re.search(rb"<pdfaid:part>2</pdfaid:part>", files[derived])
    assert stored_files(app, report_id)["pdf"].sha256 == stored["pdf"].sha256

    mets = ET.parse(target / "METS.xml").getroot()
    uses = {
        f.find("mets:FLocat", NS).get(HREF).rsplit("/", 1)[1]: f.get("USE")  # type: ignore[union-attr]
        for f in mets.iterfind(
            "mets:fileSec/mets:fileGrp[@USE='Representations/rep1']/mets:file", NS
        )
    }
    assert uses[original] == "Utfärdat original"
    assert uses[derived] == (
        "Arkivexemplar i PDF/A, framställt ur återrapportens frysta ögonblicksbild"
    )
    descriptions = [e.text or "" for e in mets.iterfind(".//dcterms:description", NS)]
    assert any("Den utfärdade PDF:en är inte PDF/A" in d for d in descriptions)
    premis = (target / "metadata/preservation/premis.xml").read_text(encoding="utf-8")
    assert "PDF/A framställd ur återrapportens frysta ögonblicksbild" in premis


def test_a_file_that_no_longer_matches_its_recorded_sha256_is_not_packed(
    app: App, now: datetime
) -> None:
    report_id = _issue_with_a_plain_pdf(app, now, recorded_sha256="0" * 64)
    with pytest.raises(Refused, match="stämmer inte längre med den SHA-256"):
        build(app, report_id, now + timedelta(days=40))


def run(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--database", db_url, *args])
    return result.exit_code, result.output


def test_the_commands_write_a_package_or_a_tar_and_verify_it(
    app: App, db_url: str, now: datetime, tmp_path: Path
) -> None:
    issued = make_issued_report(app, now)
    target = tmp_path / "paket"
    code, output = run(
        db_url, "report", "archive-package", str(issued.report_id), "--out", str(target)
    )
    assert code == 0, output
    assert f"Kontrollera det med: tracker report verify-package {target}" in output
    code, output = run(db_url, "report", "verify-package", str(target))
    assert (code, output.strip()) == (
        0,
        "Arkivpaketet är helt: METS och PREMIS följer sina scheman, och varje fils storlek "
        "och SHA-256 stämmer.",
    )
    [pdf] = (target / "representations/rep1/data").glob("*.pdf")
    pdf.write_bytes(pdf.read_bytes() + b"\n")
    code, output = run(db_url, "report", "verify-package", str(target))
    assert code == 1
    assert "filen är ändrad" in output

    code, output = run(
        db_url, "report", "archive-package", str(issued.report_id), "--out", str(target)
    )
    assert code == 1
    assert "finns redan och är inte en tom katalog" in output

    tar_path = tmp_path / "paket.tar"
    code, output = run(
        db_url, "report", "archive-package", str(issued.report_id), "--out", str(tar_path), "--tar"
    )
    assert code == 0, output
    with tarfile.open(tar_path) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "ur-tar", filter="data")
    [top] = {n.split("/")[0] for n in names}
    assert top == "aterrapport-atgardsplan-efter-granskning-av-ledningen-nr1-2018-01-10"
    assert archive.verify_package(tmp_path / "ur-tar" / top) == []


@pytest.fixture
def client(app: App, now: datetime) -> Iterator[TestClient]:
    with TestClient(create_app(app, clock=MovableClock(now + timedelta(days=3)))) as c:
        yield c


def test_those_who_may_read_the_report_download_its_package_from_its_page(
    app: App, now: datetime, client: TestClient, tmp_path: Path
) -> None:
    issued = make_issued_report(app, now)
    with app.transaction() as s:
        reader = people.ensure_person(
            s,
            "namnd@pitea.example",
            now=now,
            name="Nämndens sekreterare",
            role=Role.board,
            forvaltning=issued.chef.forvaltning,
        )
    log_in(client, app, reader, now + timedelta(days=3))
    page = client.get(f"/aterrapporter/{issued.report_id}")
    link = f"/aterrapporter/{issued.report_id}/arkivpaket.tar"
    assert f'href="{link}"' in page.text
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-tar"
    assert "attachment" in response.headers["content-disposition"]
    with tarfile.open(fileobj=io.BytesIO(response.content)) as tar:
        tar.extractall(tmp_path / "ur-tar", filter="data")
    [top] = list((tmp_path / "ur-tar").iterdir())
    assert archive.verify_package(top) == []
    assert data_files(top) == {
        f.filename: f.data for f in stored_files(app, issued.report_id).values()
    }


def test_a_draft_has_no_package_on_the_web(app: App, now: datetime, client: TestClient) -> None:
    issued = make_issued_report(app, now)
    with app.transaction() as s:
        plan_id = reports.get_report(s, issued.report_id).plan_id
        later = reports.draft_report(
            s,
            app.registry,
            plan_id,
            as_of=date(2018, 1, 12),
            now=now + timedelta(days=2),
            tz=app.tz,
            draft_days=14,
        )
    log_in(client, app, issued.chef, now + timedelta(days=3))
    page = client.get(f"/aterrapporter/{later.id}")
    assert "arkivpaket.tar" not in page.text
    response = client.get(f"/aterrapporter/{later.id}/arkivpaket.tar")
    assert response.status_code == 422
    assert "Ett utkast kan inte arkiveras" in response.text
