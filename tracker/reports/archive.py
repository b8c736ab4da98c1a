"""An issued återrapport as an archive package (SIP) for the kommun's e-arkiv.

The package follows Riksarkivet's FGS Paketstruktur 1.2 and the E-ARK CSIP it builds on:

    METS.xml                               what the package holds, with every file's SHA-256
    metadata/preservation/premis.xml       PREMIS 3: each document's fixity, size and format,
                                           the issue, the fixity check and the packing
    representations/rep1/data/...          the documents as issued: PDF, DOCX and HTML
    schemas/...                            the XML schemas METS and PREMIS are valid against

The documents are the archived bytes, never rendered again: an issued report is a public
record and its files and checksums do not change. The PDF of every report issued with the
Typst renderer is already PDF/A-2a (which meets PDF/A-2b too). A report issued before that
has a PDF that is no PDF/A; for it the package also carries a PDF/A made now from the
report's frozen snapshot, beside the original, and METS and PREMIS say so.

The XML is built here as plain data and checked against the official schemas shipped in
`schemas/` (README.md there says where each comes from); nothing is ever fetched from the
network. `verify_package` checks a package on disk: the schemas, and every checksum in METS
and PREMIS against the bytes of its file.
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from tracker.domain.numbers import plain_int
from tracker.domain.report import Snapshot, meeting_line, meeting_text
from tracker.errors import Refused
from tracker.models.report import ReportFile
from tracker.services import reports

SCHEMAS = Path(__file__).parent / "schemas"

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS_NS = "http://www.loc.gov/premis/v3"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
# FGS Paketstruktur's own attributes (Riksarkivet's CSPackageExtensionMETS.xsd).
FGS_NS = "ExtensionMETS"
DCTERMS_NS = "http://purl.org/dc/terms/"
PREFIXES = {
    "mets": METS_NS,
    "xlink": XLINK_NS,
    "xsi": XSI_NS,
    "premis": PREMIS_NS,
    "csip": CSIP_NS,
    "ext": FGS_NS,
    "dcterms": DCTERMS_NS,
}

FGS_PROFILE = "http://xml.ra.se/e-arkiv/METS/CommonSpecificationSwedenPackageProfile.xml"
# FGS Paketstruktur's content type for separate records outside a system export.
FGS_CONTENT_TYPE = "Single records"
PRODUCT = "Åtgärdsplaner och återrapporter (atgardsplan-tracker)"

METS_FILE = "METS.xml"
PREMIS_FILE = "metadata/preservation/premis.xml"
DATA_DIR = "representations/rep1/data"
REPRESENTATION = "Representations/rep1"
SHIPPED_SCHEMAS = ("mets.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd", "premis-v3-0.xsd")
# The METS schema imports XLink from its address at the Library of Congress: read the copy.
XLINK_LOCATION = "http://www.loc.gov/standards/xlink/xlink.xsd"


@dataclass(frozen=True)
class FileFormat:
    name: str
    version: str = ""
    # The format's identifier in The National Archives' PRONOM registry.
    pronom: str = ""


HTML = FileFormat("HTML", "5", "fmt/471")
DOCX = FileFormat("Office Open XML WordprocessingML (DOCX)", "", "fmt/412")
PDFA_PRONOM = {"A": "fmt/476", "B": "fmt/477", "U": "fmt/478"}
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
}
ORIGINAL_USE = "Utfärdat original"
DERIVED_USE = "Arkivexemplar i PDF/A, framställt ur återrapportens frysta ögonblicksbild"

_PDFA_PART = re.compile(rb"pdfaid:part(?:>|=\")\s*(\d)")
_PDFA_CONFORMANCE = re.compile(rb"pdfaid:conformance(?:>|=\")\s*([ABUabu])")


def pdfa_level(data: bytes) -> str | None:
    """'2A', '2B', '1B', ... as the PDF's XMP metadata declares it; None for a PDF that does
    not claim PDF/A. PDF/A keeps its XMP stream uncompressed, so reading bytes suffices."""
    part = _PDFA_PART.search(data)
    conformance = _PDFA_CONFORMANCE.search(data)
    if part is None or conformance is None:
        return None
    return part.group(1).decode() + conformance.group(1).decode().upper()


def pdf_format(data: bytes) -> FileFormat:
    level = pdfa_level(data)
    if level is None:
        return FileFormat("PDF")
    pronom = PDFA_PRONOM.get(level[1], "") if level.startswith("2") else ""
    return FileFormat("PDF/A", level.lower(), pronom)


# --- The package as data ------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A document of the representation: where it goes in the package and what it is."""

    filename: str
    data: bytes
    mimetype: str
    file_format: FileFormat
    created: datetime
    use: str = ORIGINAL_USE

    @property
    def path(self) -> str:
        return f"{DATA_DIR}/{self.filename}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Contents:
    """Everything the package says, as plain values: nothing here reads a database or a
    clock, so the same contents give the same bytes."""

    package_id: uuid.UUID
    snapshot: Snapshot
    documents: tuple[Document, ...]
    created: datetime
    software_version: str
    # The leveransöverenskommelse with the archive, when one is named.
    submission_agreement: str = ""

    @property
    def objid(self) -> str:
        return f"UUID:{self.package_id}"

    @property
    def derived(self) -> bool:
        return any(d.use == DERIVED_USE for d in self.documents)


@dataclass(frozen=True)
class Package:
    name: str
    objid: str
    # Relative path (with /) -> bytes, in the order they are written.
    files: dict[str, bytes]
    created: datetime

    def write(self, directory: Path) -> None:
        """Write the package's files into `directory`, which must be empty or missing."""
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise Refused(
                f"{directory} finns redan och är inte en tom katalog. Ange en ny katalog för "
                "arkivpaketet."
            )
        for path, data in self.files.items():
            target = directory.joinpath(*PurePosixPath(path).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    def tar(self) -> bytes:
        """The package as one uncompressed tar file with the package's folder at its top."""
        out = io.BytesIO()
        mtime = int(self.created.timestamp())
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for directory in sorted(_directories(self.files)):
                info = tarfile.TarInfo(f"{self.name}/{directory}".rstrip("/"))
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
                tar.addfile(info)
            for path, data in self.files.items():
                info = tarfile.TarInfo(f"{self.name}/{path}")
                info.size, info.mode, info.mtime = len(data), 0o644, mtime
                tar.addfile(info, io.BytesIO(data))
        return out.getvalue()


def _directories(files: Iterable[str]) -> set[str]:
    found = {""}
    for path in files:
        parts = PurePosixPath(path).parts[:-1]
        found.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return found


# --- XML building -------------------------------------------------------------------------


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _m(name: str) -> str:
    return _q(METS_NS, name)


def _p(name: str) -> str:
    return _q(PREMIS_NS, name)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _xml(root: ET.Element) -> bytes:
    for prefix, ns in PREFIXES.items():
        ET.register_namespace(prefix, ns)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _signatory(contents: Contents) -> str:
    plan = contents.snapshot.plan
    return ", ".join(p for p in (plan.signatory_name, plan.signatory_title) if p)


def _title(contents: Contents) -> str:
    s = contents.snapshot
    number = s.issue.number if s.issue else 0
    dnr = f" (Dnr {s.plan.dnr})" if s.plan.dnr else ""
    return f"Återrapport nr {number}: {s.plan.title}{dnr}"


def _organisation(snapshot: Snapshot) -> str:
    return snapshot.plan.forvaltning or snapshot.plan.namnd or "Förvaltningen"


def _descriptive(contents: Contents, parent: ET.Element) -> None:
    """The document's own facts in DCMI terms, each value as the report states it."""
    s = contents.snapshot
    issue = s.issue
    assert issue is not None
    plan = s.plan
    values: list[tuple[str, str]] = [
        ("title", f"Återrapport nr {issue.number}: {plan.title}"),
        ("alternative", plan.title),
        ("type", "Återrapport"),
        ("creator", _organisation(s)),
        ("audience", plan.namnd),
        ("identifier", f"Dnr {plan.dnr}" if plan.dnr else ""),
        ("identifier", f"Återrapport nr {issue.number}"),
        ("temporal", f"Läget per {s.as_of.isoformat()}"),
        # The nämnd's meeting the report went to, as the document says it.
        ("relation", meeting_line(s.meeting)),
        ("dateAccepted", issue.issued_at.date().isoformat()),
        ("issued", issue.issued_at.date().isoformat()),
        ("contributor", _signatory(contents)),
        ("spatial", plan.ort),
        ("language", "sv"),
        (
            "description",
            f"Återrapport nr {issue.number} för åtgärdsplanen {plan.title}"
            + (f" till {plan.namnd}" if plan.namnd else "")
            + f", med läget per {s.as_of.isoformat()}. Godkänd "
            f"{_stamp(issue.issued_at)} av {issue.approved_by}."
            + (f" Undertecknad av {_signatory(contents)}." if _signatory(contents) else "")
            + (f" {meeting_line(s.meeting)}." if s.meeting else ""),
        ),
    ]
    if contents.derived:
        values.append(
            (
                "description",
                "Den utfärdade PDF:en är inte PDF/A. Paketet har den oförändrad och dessutom "
                "ett arkivexemplar i PDF/A som framställts ur återrapportens frysta "
                f"ögonblicksbild {_stamp(contents.created)}.",
            )
        )
    for name, value in values:
        if value:
            _sub(parent, _q(DCTERMS_NS, name), value)


def _agent(
    parent: ET.Element, role: str, kind: str, name: str, *notes: str, **extra: str
) -> ET.Element:
    agent = _sub(parent, _m("agent"), ROLE=role, TYPE=kind, **extra)
    _sub(agent, _m("name"), name)
    for note in notes:
        _sub(agent, _m("note"), note)
    return agent


def _file_attributes(data: bytes, mimetype: str, created: datetime) -> dict[str, str]:
    return {
        "MIMETYPE": mimetype,
        "SIZE": str(len(data)),
        "CREATED": _stamp(created),
        "CHECKSUM": hashlib.sha256(data).hexdigest(),
        "CHECKSUMTYPE": "SHA-256",
    }


def _locator(path: str) -> dict[str, str]:
    return {"LOCTYPE": "URL", _q(XLINK_NS, "type"): "simple", _q(XLINK_NS, "href"): path}


def build_mets(contents: Contents, premis: bytes, schemas: dict[str, bytes]) -> bytes:
    s = contents.snapshot
    issue = s.issue
    assert issue is not None
    created = contents.created
    root = ET.Element(
        _m("mets"),
        {
            "OBJID": contents.objid,
            "LABEL": _title(contents),
            "TYPE": FGS_CONTENT_TYPE,
            "PROFILE": FGS_PROFILE,
            _q(XSI_NS, "schemaLocation"): (
                f"{METS_NS} schemas/mets.xsd {XLINK_NS} schemas/xlink.xsd "
                f"{CSIP_NS} schemas/DILCISExtensionMETS.xsd"
            ),
        },
    )
    header = _sub(
        root,
        _m("metsHdr"),
        CREATEDATE=_stamp(created),
        RECORDSTATUS="NEW",
        **{_q(FGS_NS, "OAISTYPE"): "SIP", _q(CSIP_NS, "OAISPACKAGETYPE"): "SIP"},
    )
    organisation = _organisation(s)
    _agent(header, "ARCHIVIST", "ORGANIZATION", organisation)
    _agent(header, "CREATOR", "ORGANIZATION", organisation)
    software = _agent(header, "CREATOR", "OTHER", PRODUCT, OTHERTYPE="SOFTWARE")
    _sub(
        software,
        _m("note"),
        contents.software_version,
        **{_q(CSIP_NS, "NOTETYPE"): "SOFTWARE VERSION"},
    )
    # FGS: the system the records come from, beside the software that made the package.
    _agent(
        header,
        "OTHER",
        "OTHER",
        PRODUCT,
        OTHERROLE="PRODUCER",
        OTHERTYPE="SOFTWARE",
    )
    if contents.submission_agreement:
        _sub(header, _m("altRecordID"), contents.submission_agreement, TYPE="SUBMISSIONAGREEMENT")

    dmd = _sub(root, _m("dmdSec"), ID="dmd-aterrapport", CREATED=_stamp(created), STATUS="CURRENT")
    wrap = _sub(dmd, _m("mdWrap"), MDTYPE="DC", LABEL="Återrapportens uppgifter")
    _descriptive(contents, _sub(wrap, _m("xmlData")))

    amd = _sub(root, _m("amdSec"), ID="amd-premis")
    digiprov = _sub(amd, _m("digiprovMD"), ID="digiprov-premis", STATUS="CURRENT")
    _sub(
        digiprov,
        _m("mdRef"),
        MDTYPE="PREMIS",
        **_locator(PREMIS_FILE),
        **_file_attributes(premis, "text/xml", created),
    )

    file_sec = _sub(root, _m("fileSec"), ID="filesec")
    content = _sub(file_sec, _m("fileGrp"), ID="grp-rep1", USE=REPRESENTATION)
    for i, doc in enumerate(contents.documents, start=1):
        entry = _sub(
            content,
            _m("file"),
            ID=f"file-rep1-{i}",
            USE=doc.use,
            ADMID="digiprov-premis",
            **_file_attributes(doc.data, doc.mimetype, doc.created),
        )
        _sub(entry, _m("FLocat"), **_locator(doc.path))
    schema_group = _sub(file_sec, _m("fileGrp"), ID="grp-schemas", USE="Schemas")
    for i, (name, data) in enumerate(schemas.items(), start=1):
        entry = _sub(
            schema_group,
            _m("file"),
            ID=f"file-schema-{i}",
            **_file_attributes(data, "application/xml", created),
        )
        _sub(entry, _m("FLocat"), **_locator(f"schemas/{name}"))

    struct = _sub(root, _m("structMap"), ID="structmap", TYPE="PHYSICAL", LABEL="CSIP StructMap")
    top = _sub(struct, _m("div"), ID="div-package", LABEL=contents.objid)
    _sub(
        top,
        _m("div"),
        ID="div-metadata",
        LABEL="Metadata",
        DMDID="dmd-aterrapport",
        ADMID="amd-premis",
    )
    schema_div = _sub(top, _m("div"), ID="div-schemas", LABEL="Schemas")
    for i in range(1, len(schemas) + 1):
        _sub(schema_div, _m("fptr"), FILEID=f"file-schema-{i}")
    rep = _sub(top, _m("div"), ID="div-rep1", LABEL=REPRESENTATION)
    for i in range(1, len(contents.documents) + 1):
        _sub(rep, _m("fptr"), FILEID=f"file-rep1-{i}")
    return _xml(root)


def _identifier(parent: ET.Element, kind: str, id_type: str, value: str) -> None:
    holder = _sub(parent, _p(f"{kind}Identifier"))
    _sub(holder, _p(f"{kind}IdentifierType"), id_type)
    _sub(holder, _p(f"{kind}IdentifierValue"), value)


@dataclass(frozen=True)
class _Event:
    key: str
    kind: str
    at: datetime
    detail: str
    agents: tuple[str, ...]
    objects: tuple[str, ...]


def _events(contents: Contents) -> list[_Event]:
    s = contents.snapshot
    issue = s.issue
    assert issue is not None
    originals = tuple(d.path for d in contents.documents if d.use == ORIGINAL_USE)
    derived = tuple(d.path for d in contents.documents if d.use == DERIVED_USE)
    events = [
        _Event(
            "issue",
            "creation",
            issue.issued_at,
            f"Återrapport nr {issue.number}"
            + (f", till {meeting_text(s.meeting)}," if s.meeting else "")
            + f" utfärdades när {issue.approved_by} godkände den; "
            "dokumenten skapades då och deras SHA-256 sparades.",
            ("approver", "software"),
            originals,
        ),
        _Event(
            "fixity",
            "fixity check",
            contents.created,
            "Dokumentens byte jämfördes med den SHA-256 som sparades när återrapporten utfärdades.",
            ("software",),
            originals,
        ),
    ]
    if derived:
        events.append(
            _Event(
                "pdfa",
                "creation",
                contents.created,
                "PDF/A framställd ur återrapportens frysta ögonblicksbild, eftersom den "
                "utfärdade PDF:en inte är PDF/A. Den utfärdade PDF:en är oförändrad.",
                ("software",),
                derived,
            )
        )
    events.append(
        _Event(
            "package",
            "creation",
            contents.created,
            f"Arkivpaketet (SIP) {contents.objid} skapades för leverans till e-arkivet.",
            ("software", "organisation"),
            tuple(d.path for d in contents.documents),
        )
    )
    return events


def build_premis(contents: Contents) -> bytes:
    s = contents.snapshot
    issue = s.issue
    assert issue is not None
    root = ET.Element(_p("premis"), {"version": "3.0"})
    events = _events(contents)

    def event_id(key: str) -> str:
        return str(uuid.uuid5(contents.package_id, key))

    for doc in contents.documents:
        obj = _sub(root, _p("object"), **{_q(XSI_NS, "type"): "premis:file"})
        _identifier(obj, "object", "local", doc.path)
        traits = _sub(obj, _p("objectCharacteristics"))
        _sub(traits, _p("compositionLevel"), "0")
        fixity = _sub(traits, _p("fixity"))
        _sub(fixity, _p("messageDigestAlgorithm"), "SHA-256")
        _sub(fixity, _p("messageDigest"), doc.sha256)
        _sub(fixity, _p("messageDigestOriginator"), PRODUCT)
        _sub(traits, _p("size"), str(len(doc.data)))
        fmt = _sub(traits, _p("format"))
        designation = _sub(fmt, _p("formatDesignation"))
        _sub(designation, _p("formatName"), doc.file_format.name)
        if doc.file_format.version:
            _sub(designation, _p("formatVersion"), doc.file_format.version)
        if doc.file_format.pronom:
            registry = _sub(fmt, _p("formatRegistry"))
            _sub(registry, _p("formatRegistryName"), "PRONOM")
            _sub(registry, _p("formatRegistryKey"), doc.file_format.pronom)
        _sub(obj, _p("originalName"), doc.filename)
        for event in events:
            if doc.path in event.objects:
                _identifier(obj, "linkingEvent", "UUID", event_id(event.key))

    for event in events:
        element = _sub(root, _p("event"))
        _identifier(element, "event", "UUID", event_id(event.key))
        _sub(element, _p("eventType"), event.kind)
        _sub(element, _p("eventDateTime"), _stamp(event.at))
        detail = _sub(element, _p("eventDetailInformation"))
        _sub(detail, _p("eventDetail"), event.detail)
        outcome = _sub(element, _p("eventOutcomeInformation"))
        _sub(outcome, _p("eventOutcome"), "success")
        for agent_key in event.agents:
            _identifier(element, "linkingAgent", "local", f"agent-{agent_key}")
        for path in event.objects:
            _identifier(element, "linkingObject", "local", path)

    agents = [
        ("software", PRODUCT, "software", contents.software_version),
        ("organisation", _organisation(s), "organization", ""),
        ("approver", issue.approved_by, "person", ""),
    ]
    for key, name, kind, agent_version in agents:
        agent = _sub(root, _p("agent"))
        _identifier(agent, "agent", "local", f"agent-{key}")
        _sub(agent, _p("agentName"), name)
        _sub(agent, _p("agentType"), kind)
        if agent_version:
            _sub(agent, _p("agentVersion"), agent_version)
    return _xml(root)


def shipped_schemas() -> dict[str, bytes]:
    return {name: (SCHEMAS / name).read_bytes() for name in SHIPPED_SCHEMAS}


def package_name(snapshot: Snapshot) -> str:
    return reports.filename_for(snapshot, "sip").removesuffix(".sip")


def build_package(contents: Contents) -> Package:
    """The package's files: documents, PREMIS, schemas and the METS that lists them all,
    checked against the schemas before anything is handed out."""
    if contents.snapshot.issue is None:
        raise Refused(_DRAFT_REFUSAL)
    premis = build_premis(contents)
    schemas = shipped_schemas()
    mets = build_mets(contents, premis, schemas)
    problems = schema_problems(METS_FILE, mets) + schema_problems(PREMIS_FILE, premis)
    # Our own XML failing the schemas is a defect in this module, not something a user can
    # act on: it keeps its traceback.
    assert not problems, problems
    files = {METS_FILE: mets, PREMIS_FILE: premis}
    files.update((doc.path, doc.data) for doc in contents.documents)
    files.update((f"schemas/{name}", data) for name, data in schemas.items())
    return Package(
        name=package_name(contents.snapshot),
        objid=contents.objid,
        files=files,
        created=contents.created,
    )


# --- Reading an issued report -------------------------------------------------------------

_DRAFT_REFUSAL = (
    "Ett utkast kan inte arkiveras: bara en godkänd (utfärdad) återrapport är en allmän "
    "handling med arkiverade filer. Godkänn utkastet först."
)


def software_version() -> str:
    try:
        return version("atgardsplan-tracker")
    except PackageNotFoundError:
        return "okänd"


def _derived_name(filename: str) -> str:
    stem = filename.removesuffix(".pdf")
    return f"{stem}-pdfa.pdf"


def archive_package(
    session: Session,
    report_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    package_id: uuid.UUID,
    submission_agreement: str = "",
) -> Package:
    """The archive package of an issued report, from its archived files as they are."""
    report = reports.get_report(session, report_id)
    if not reports.is_issued(report):
        raise Refused(_DRAFT_REFUSAL)
    if reports.is_control_json(report.snapshot_json):
        # The follow-up of an internkontrollplan, kept in the same table: its snapshot has
        # another shape, which the package's metadata are not made from.
        raise Refused(
            "Arkivpaket (E-ARK) görs för återrapporter om åtgärdsplaner, inte för uppföljningar "
            f"av internkontrollplaner. Arkivera {reports.report_title(report)} som dess filer: "
            "PDF, Word och HTML, med varje fils SHA-256, på uppföljningens sida (eller tracker "
            f"report download {report_id}), och kontrollera dem med tracker report verify "
            f"{report_id}."
        )
    snapshot = reports.snapshot_of(report)
    stored = list(
        session.exec(
            select(ReportFile).where(ReportFile.report_id == report_id).order_by(col(ReportFile.id))
        )
    )
    by_format = {f.format: f for f in stored}
    missing = [fmt for fmt in reports.FORMATS if fmt not in by_format]
    if missing:
        raise Refused(
            f"{reports.report_title(report)} saknar arkiverade filer ({', '.join(missing)}) "
            "och kan inte paketeras."
        )
    issued_at = report.approved_at or now
    documents: list[Document] = []
    for fmt in ("pdf", "docx", "html"):
        f = by_format[fmt]
        if hashlib.sha256(f.data).hexdigest() != f.sha256:
            raise Refused(
                f"Den arkiverade filen {f.filename} stämmer inte längre med den SHA-256 som "
                "sparades när återrapporten utfärdades. Inget arkivpaket skapades; kör "
                f"'tracker report verify {report_id}' och kontakta systemets förvaltare."
            )
        file_format = {"pdf": pdf_format(f.data), "docx": DOCX, "html": HTML}[fmt]
        documents.append(
            Document(
                filename=f.filename,
                data=f.data,
                mimetype=MIMETYPES[fmt],
                file_format=file_format,
                created=issued_at.astimezone(tz),
            )
        )
    if pdfa_level(by_format["pdf"].data) is None:
        # Issued before the PDF was PDF/A: the record stays as it is, and the archive gets a
        # PDF/A made from the same frozen snapshot beside it.
        pdfa = reports.render(snapshot, ("pdf",))["pdf"]
        assert pdfa_level(pdfa) is not None, "the renderer no longer writes PDF/A"
        documents.insert(
            1,
            Document(
                filename=_derived_name(by_format["pdf"].filename),
                data=pdfa,
                mimetype=MIMETYPES["pdf"],
                file_format=pdf_format(pdfa),
                created=now.astimezone(tz),
                use=DERIVED_USE,
            ),
        )
    return build_package(
        Contents(
            package_id=package_id,
            snapshot=snapshot,
            documents=tuple(documents),
            created=now.astimezone(tz),
            software_version=software_version(),
            submission_agreement=submission_agreement.strip(),
        )
    )


# --- Validation and verification ----------------------------------------------------------


@cache
def _schema(kind: str) -> Any:
    """The XML schema for METS (with XLink and the CSIP extension) or PREMIS, read from the
    shipped files only: 'sandbox' forbids any access outside the schemas directory, and the
    XLink import is mapped to its local copy."""
    import xmlschema

    if kind == "mets":
        return xmlschema.XMLSchema(
            [str(SCHEMAS / "mets.xsd"), str(SCHEMAS / "DILCISExtensionMETS.xsd")],
            allow="sandbox",
            uri_mapper={XLINK_LOCATION: (SCHEMAS / "xlink.xsd").as_uri()},
        )
    return xmlschema.XMLSchema(str(SCHEMAS / "premis-v3-0.xsd"), allow="sandbox")


def schema_problems(name: str, data: bytes) -> list[str]:
    """What is wrong with a METS.xml or premis.xml by its official schema; empty if valid."""
    import xmlschema

    schema = _schema("mets" if name == METS_FILE else "premis")
    try:
        ET.fromstring(data)
    except ET.ParseError as exc:
        return [f"{name}: inte välformad XML ({exc})."]
    try:
        # From the bytes, so that the prefixes of QName values (xsi:type) resolve; the
        # document may reach nothing: no schema hints, no entities, no files.
        errors = list(schema.iter_errors(xmlschema.XMLResource(data, allow="none")))
    except xmlschema.XMLSchemaException as exc:
        return [f"{name}: kunde inte kontrolleras mot schemat ({exc})."]
    return [f"{name}: följer inte schemat: {_first_line(e)}" for e in errors[:20]]


def _first_line(error: Exception) -> str:
    reason = getattr(error, "reason", None) or str(error)
    path = getattr(error, "path", None)
    return f"{reason} ({path})" if path else str(reason)


@dataclass(frozen=True)
class Listed:
    """A file as METS or PREMIS lists it."""

    source: str
    path: str
    sha256: str
    size: int | None


def _listed_in_mets(root: ET.Element) -> list[Listed]:
    out = []
    for element in root.iter():
        if element.tag not in (_m("file"), _m("mdRef")):
            continue
        href = (
            element.get(_q(XLINK_NS, "href"))
            if element.tag == _m("mdRef")
            else next((loc.get(_q(XLINK_NS, "href")) for loc in element.iter(_m("FLocat"))), None)
        )
        size = element.get("SIZE")
        out.append(
            Listed(
                source=METS_FILE,
                path=href or "",
                sha256=(element.get("CHECKSUM") or "").lower()
                if element.get("CHECKSUMTYPE") == "SHA-256"
                else "",
                size=plain_int(size or "", 20),
            )
        )
    return out


def _listed_in_premis(root: ET.Element) -> list[Listed]:
    out = []
    for obj in root.iter(_p("object")):
        path = obj.findtext(f"{_p('objectIdentifier')}/{_p('objectIdentifierValue')}") or ""
        digest = ""
        for fixity in obj.iter(_p("fixity")):
            if fixity.findtext(_p("messageDigestAlgorithm")) == "SHA-256":
                digest = (fixity.findtext(_p("messageDigest")) or "").lower()
        size = obj.findtext(f"{_p('objectCharacteristics')}/{_p('size')}")
        out.append(
            Listed(
                source=PREMIS_FILE,
                path=path,
                sha256=digest,
                size=plain_int(size or "", 20),
            )
        )
    return out


def _inside(directory: Path, relative: str) -> Path | None:
    """The listed file in the package, or None for a path that leads out of it."""
    if not relative or relative.startswith(("/", "\\")) or "://" in relative:
        return None
    target = (directory / relative).resolve()
    if not target.is_relative_to(directory.resolve()):
        return None
    return target


def _check(directory: Path, item: Listed) -> str | None:
    target = _inside(directory, item.path)
    if target is None:
        return f"{item.source} pekar på '{item.path}', som inte ligger i paketet."
    if not target.is_file():
        return f"{item.path} saknas (listad i {item.source})."
    data = target.read_bytes()
    if not item.sha256:
        return f"{item.path} saknar SHA-256 i {item.source}."
    if hashlib.sha256(data).hexdigest() != item.sha256:
        return f"{item.path} stämmer inte med sin SHA-256 i {item.source}: filen är ändrad."
    if item.size is not None and item.size != len(data):
        return f"{item.path} har inte storleken {item.size} byte som {item.source} anger."
    return None


def verify_package(directory: Path) -> list[str]:
    """Everything wrong with the package in `directory`, in Swedish; empty if it is whole.

    METS and PREMIS against their schemas, every file METS lists (PREMIS included) and every
    file PREMIS describes against its SHA-256 and size, and no file in the package that METS
    does not list."""
    mets_path = directory / METS_FILE
    if not mets_path.is_file():
        return [f"{directory} är inget arkivpaket: {METS_FILE} saknas."]
    mets = mets_path.read_bytes()
    problems = schema_problems(METS_FILE, mets)
    try:
        mets_root = ET.fromstring(mets)
    except ET.ParseError:
        return problems
    listed = _listed_in_mets(mets_root)
    problems += [p for item in listed if (p := _check(directory, item))]
    premis_path = directory / PREMIS_FILE
    if premis_path.is_file():
        premis = premis_path.read_bytes()
        problems += schema_problems(PREMIS_FILE, premis)
        try:
            premis_items = _listed_in_premis(ET.fromstring(premis))
        except ET.ParseError:
            premis_items = []
        problems += [p for item in premis_items if (p := _check(directory, item))]
    else:
        problems.append(f"{PREMIS_FILE} saknas.")
    known = {item.path for item in listed} | {METS_FILE}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if path.is_file() and relative not in known:
            problems.append(f"{relative} finns i paketet men står inte i {METS_FILE}.")
    return problems
