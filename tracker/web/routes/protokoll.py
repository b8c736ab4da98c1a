"""Decisions from a protokoll, for chefs and admins: the list of uploaded protokoll with the
form to upload one (a .txt, .docx or .pdf file, or pasted text), and a protokoll's review
page, where the drafted decisions are kept or dropped, merged, given an owner and a date in
one plain form, and confirmed as åtgärder. Nothing is created before the confirmation; the
drafts are kept on the protokoll in between (tracker.services.protokoll)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from notifications import swedish
from tracker.domain import protokoll as rules
from tracker.domain.minutes import read_minutes
from tracker.domain.nouns import counted
from tracker.domain.numbers import plain_int
from tracker.domain.problems import FileRefused
from tracker.domain.protokoll import Draft, DraftRefused
from tracker.domain.roles import forvaltning_scope, may_draft_from_minutes
from tracker.errors import Forbidden, Refused, TrackerError
from tracker.models import Action, Person, Protokoll
from tracker.services import protokoll as service
from tracker.services.link_mail import queue_assignments
from tracker.services.protokoll import TypedOwner
from tracker.web.deps import (
    CsrfChecked,
    EditorDep,
    NowDep,
    SessionDep,
    Web,
    WebDep,
    commit_so_far,
    flash,
    pop_flash,
    refusal_status,
    undo,
)
from tracker.web.forms import TEXT_LIMIT as FORM_TEXT_LIMIT
from tracker.web.forms import VERSION_LIMIT, parse_date
from tracker.web.routes import PathId

router = APIRouter()

MAX_UPLOAD = 10 * 1024 * 1024
SUFFIXES = (".txt", ".docx", ".pdf")
SAVE = "spara"
CONFIRM = "bekrafta"
# The longest name of a new owner, as on the other pages that name one (the address has
# its own limits, checked by people.ensure_person).
NAME_LIMIT = 200


@dataclass(frozen=True)
class FormError:
    """A refusal on a page: the message, and the id of the field it is about, if any."""

    message: str
    field: str | None = None
    # The decision it is about, when it is about one: then shown beside its field.
    index: int | None = None


@dataclass(frozen=True)
class TypedRow:
    """One decision as the review form sent it, read as far as it can be."""

    what: str
    owner_id: int | None
    due_on: date | None
    reports_to: str
    keep: bool
    new_owner: TypedOwner


@dataclass(frozen=True)
class Typed:
    """The review form's columns as sent, one value per draft in each."""

    count: int
    what: list[str]
    owner: list[str]
    due_on: list[str]
    reports_to: list[str]
    keep: set[int]
    owner_name: list[str]
    owner_email: list[str]

    def owners(self) -> list[TypedOwner]:
        """The owner typed by name and address for each draft (none for a form without the
        boxes)."""
        return [
            TypedOwner(_at(self.owner_name, i).strip(), _at(self.owner_email, i).strip())
            for i in range(self.count)
        ]

    def rows(self) -> list[TypedRow]:
        """Every decision as typed, for showing it again: never refused, never saved."""
        return [
            TypedRow(
                what=_at(self.what, i),
                owner_id=_owner_id(_at(self.owner, i)),
                due_on=_lenient_date(_at(self.due_on, i)),
                reports_to=_at(self.reports_to, i),
                keep=i in self.keep,
                new_owner=owner,
            )
            for i, owner in enumerate(self.owners())
        ]


def _at(column: list[str], i: int) -> str:
    return column[i] if i < len(column) else ""


def _owner_id(chosen: str) -> int | None:
    return plain_int(chosen.strip(), 11)


def _lenient_date(typed: str) -> date | None:
    try:
        return parse_date(typed, "")
    except Refused:
        return None


def _error(exc: TrackerError) -> FormError:
    if isinstance(exc, DraftRefused):
        return FormError(exc.message, exc.field_id, exc.index)
    return FormError(exc.message)


def _require(user: Person, protokoll: Protokoll) -> None:
    if not may_draft_from_minutes(user, protokoll.forvaltning):
        raise Forbidden("Protokollet hör till en annan förvaltning.")


# --- the list and the upload ----------------------------------------------------------------


@router.get("/protokoll", response_class=HTMLResponse)
def protokoll_list(
    request: Request, web: WebDep, session: SessionDep, user: EditorDep
) -> HTMLResponse:
    return _render_list(request, web, session, user)


def _render_list(
    request: Request,
    web: Web,
    session: Session,
    user: Person,
    *,
    values: dict[str, str] | None = None,
    error: FormError | None = None,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return web.render(
        request,
        "protokoll/list.html",
        {
            "rows": service.list_protokoll(session, forvaltning_scope(user)),
            "values": values or {},
            "error": error,
            "problems": problems or [],
            "flash": pop_flash(request),
        },
        status_code=status_code,
    )


@router.post("/protokoll", dependencies=[CsrfChecked], response_model=None)
def protokoll_upload(
    request: Request,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    file: Annotated[UploadFile | None, File()] = None,
    text: Annotated[str, Form(max_length=rules.TEXT_LIMIT)] = "",
    # Up to any form's limit: the organ's and the title's own are the service's, refused
    # beside their boxes with the rest kept, not on the generic page for an overlong form.
    body: Annotated[str, Form(max_length=FORM_TEXT_LIMIT)] = "",
    meeting_on: Annotated[str, Form(max_length=40)] = "",
    title: Annotated[str, Form(max_length=FORM_TEXT_LIMIT)] = "",
) -> Response:
    values = {"body": body, "meeting_on": meeting_on, "title": title, "text": text}
    try:
        if not may_draft_from_minutes(user):
            raise Forbidden("Du kan inte ta fram beslut ur protokoll.")
        day = _meeting_date(meeting_on)
        filename, content = _content(file, text)
        protokoll = service.draft_from_text(
            session,
            forvaltning=forvaltning_scope(user) or "",
            body=body,
            meeting_on=day,
            title=title,
            text=content,
            filename=filename,
            now=now,
            actor=user,
        )
    except FileRefused as exc:
        undo(session)
        return _render_list(
            request,
            web,
            session,
            user,
            values=values,
            error=FormError(f"{exc.filename} gick inte att läsa.", rules.SOURCE_FIELD),
            problems=[str(p) for p in exc.problems],
            status_code=422,
        )
    except Refused as exc:
        undo(session)
        return _render_list(
            request,
            web,
            session,
            user,
            values=values,
            error=_error(exc),
            status_code=refusal_status(exc),
        )
    found = len(service.drafts_of(protokoll))
    flash(
        request,
        "Protokollet är inläst: "
        + swedish.count(found, "föreslaget beslut", "föreslagna beslut")
        + ". Ingenting skapas förrän du bekräftar.",
    )
    return RedirectResponse(f"/protokoll/{protokoll.id}", status_code=303)


def _meeting_date(typed: str) -> date | None:
    try:
        return parse_date(typed, "Sammanträdets datum")
    except Refused as exc:
        raise DraftRefused(exc.message, field=rules.DATE_FIELD) from None


def _content(upload: UploadFile | None, pasted: str) -> tuple[str, str]:
    """(file name, text) of the upload, or of the pasted text when no file was chosen."""
    if upload is None or not upload.filename:
        return "", pasted
    if pasted.strip():
        raise DraftRefused(
            "Välj en fil eller klistra in texten, inte båda.", field=rules.SOURCE_FIELD
        )
    name = Path(upload.filename).name
    if not name.lower().endswith(SUFFIXES):
        raise DraftRefused(
            f"{name}: välj en fil av typen .txt, .docx eller .pdf.", field=rules.SOURCE_FIELD
        )
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise DraftRefused(
            f"{name} är större än {MAX_UPLOAD // 2**20} MB.", field=rules.SOURCE_FIELD
        )
    return name, read_minutes(data, name)


# --- one protokoll: review and confirm ------------------------------------------------------


@router.get("/protokoll/{protokoll_id}", response_class=HTMLResponse)
def protokoll_page(
    request: Request, protokoll_id: PathId, web: WebDep, session: SessionDep, user: EditorDep
) -> HTMLResponse:
    protokoll = service.get_protokoll(session, protokoll_id)
    _require(user, protokoll)
    return _render_review(request, web, session, protokoll, service.drafts_of(protokoll))


def _render_review(
    request: Request,
    web: Web,
    session: Session,
    protokoll: Protokoll,
    drafts: list[Draft],
    *,
    error: FormError | None = None,
    status_code: int = 200,
    seen: int | None = None,
    saved: list[Draft] | None = None,
    unsaved: list[TypedRow] | None = None,
    typed_owners: list[TypedOwner] | None = None,
) -> HTMLResponse:
    """The review page. `seen`: the version the form carries (the saved one unless given);
    `saved`: the saved drafts, shown beside typed ones that differ from them; `unsaved`:
    typed decisions that no longer line up with the saved drafts, listed above them;
    `typed_owners`: the new owners typed for the drafts, put back in their boxes."""
    confirmed = protokoll.confirmed_at is not None
    people = [] if confirmed else service.owner_choices(session, protokoll.forvaltning)
    return web.render(
        request,
        "protokoll/review.html",
        {
            "protokoll": protokoll,
            "drafts": drafts,
            "people": people,
            "names": {p.id: p.name for p in people},
            "created": _followed(web, session, protokoll) if confirmed else [],
            "item_label": rules.item_label,
            "error": error,
            "flash": pop_flash(request),
            "save": SAVE,
            "confirm": CONFIRM,
            "seen": protokoll.version if seen is None else seen,
            "saved": saved or [],
            "unsaved": unsaved or [],
            "typed_owners": typed_owners or [],
        },
        status_code=status_code,
    )


@router.post("/protokoll/{protokoll_id}", dependencies=[CsrfChecked], response_model=None)
def protokoll_review(
    request: Request,
    protokoll_id: PathId,
    web: WebDep,
    session: SessionDep,
    now: NowDep,
    user: EditorDep,
    # 0, which no protokoll has: a form that carried no version is treated as stale.
    version: Annotated[int, Form(ge=0, lt=VERSION_LIMIT)] = 0,
    count: Annotated[int, Form(ge=0, le=rules.MAX_DRAFTS)] = 0,
    what: Annotated[list[str] | None, Form()] = None,
    owner: Annotated[list[str] | None, Form()] = None,
    due_on: Annotated[list[str] | None, Form()] = None,
    reports_to: Annotated[list[str] | None, Form()] = None,
    keep: Annotated[list[str] | None, Form()] = None,
    owner_name: Annotated[list[str] | None, Form()] = None,
    owner_email: Annotated[list[str] | None, Form()] = None,
    merge: Annotated[list[str] | None, Form()] = None,
    do: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    protokoll = service.get_protokoll(session, protokoll_id)
    _require(user, protokoll)
    typed = Typed(
        count,
        what or [],
        owner or [],
        due_on or [],
        reports_to or [],
        _indices(keep, count),
        owner_name or [],
        owner_email or [],
    )
    drafts = service.drafts_of(protokoll)
    saved = False
    try:
        if protokoll.confirmed_at is not None:
            raise service.AlreadyConfirmed(service.ALREADY_CONFIRMED)
        # Before the form is read against the saved drafts: a stale form may describe drafts
        # that were merged since, and its text must then be shown again, not refused.
        service.check_seen(protokoll, version)
        drafts = _reviewed(drafts, typed)
        given = service.give_typed_owners(session, protokoll, drafts, typed.owners(), now=now)
        merging = _indices(merge, len(drafts)) - {0}
        if merging:
            _merge(request, session, protokoll, given, merging, seen=version)
        elif do == CONFIRM:
            # The drafts are saved first and committed, so that a refusal to create (a kept
            # decision without an owner, none kept) does not lose what she typed: saving a
            # draft changes nothing anyone else sees, it is what Spara would have done, and she
            # may well leave the page to find out who should own a decision. A refusal of the
            # drafts themselves (an address, a date) comes before this and saves nothing.
            service.save_drafts(session, protokoll, given.drafts, seen=version)
            commit_so_far(session)
            saved = True
            _confirm(request, web, session, protokoll, given, now=now, user=user)
        else:
            service.save_drafts(session, protokoll, given.drafts, seen=version)
            flash(request, "Utkasten är sparade. Ingenting är skapat ännu." + _notes(given))
    except service.AlreadyConfirmed as exc:
        undo(session)
        flash(request, exc.message)
        return RedirectResponse(f"/protokoll/{protokoll_id}", status_code=303)
    except service.DraftsChanged as exc:
        undo(session)
        return _render_changed(request, web, session, protokoll_id, typed, exc)
    except Refused as exc:
        undo(session)
        protokoll = service.get_protokoll(session, protokoll_id)
        if saved:
            flash(request, "Det du skrev är sparat som utkast. Inga åtgärder är skapade.")
            return _render_review(
                request,
                web,
                session,
                protokoll,
                service.drafts_of(protokoll),
                error=_error(exc),
                status_code=refusal_status(exc),
            )
        return _render_review(
            request,
            web,
            session,
            protokoll,
            drafts,
            error=_error(exc),
            status_code=refusal_status(exc),
            seen=version,
            typed_owners=typed.owners(),
        )
    return RedirectResponse(f"/protokoll/{protokoll_id}", status_code=303)


def _notes(given: service.GivenOwners) -> str:
    """The typed names that were not taken, said whatever the button."""
    return "".join(f" {n}" for n in given.notes)


def _merge(
    request: Request,
    session: Session,
    protokoll: Protokoll,
    given: service.GivenOwners,
    merging: set[int],
    *,
    seen: int,
) -> None:
    # A merge is saved and shown before anything is confirmed: the chef reads the merged
    # decision first, and a refusal then names the decision as it is shown.
    service.save_drafts(session, protokoll, rules.apply_merges(given.drafts, merging), seen=seen)
    flash(
        request,
        swedish.count(len(merging), "beslut är sammanslaget", "beslut är sammanslagna")
        + " med föregående. Granska och bekräfta sedan. Ingenting är skapat ännu."
        + _notes(given),
    )


def _confirm(
    request: Request,
    web: Web,
    session: Session,
    protokoll: Protokoll,
    given: service.GivenOwners,
    *,
    now: datetime,
    user: Person,
) -> None:
    """Create the kept drafts, just saved, as åtgärder and queue their owners' mail."""
    done = service.confirm(
        session,
        web.app.registry,
        web.app.settings,
        protokoll,
        given.drafts,
        seen=protokoll.version,
        now=now,
        actor=user,
    )
    for person, theirs in done.by_owner:
        queue_assignments(
            session, web.app.registry, web.app.settings, person, done.plan, theirs,
            now=now, assigned_by=user,
        )  # fmt: skip
    flash(request, _confirmed_text(web, done) + _notes(given))


@dataclass(frozen=True)
class Followed:
    """A beslut made from the protokoll as its page follows it: who has it and its state."""

    action: Action
    owner: str
    state: str


def _followed(web: Web, session: Session, protokoll: Protokoll) -> list[Followed]:
    out = []
    for action in service.created_from(session, protokoll):
        owner = session.get(Person, action.owner_id) if action.owner_id is not None else None
        state = web.app.registry.get(action.workflow).definition.state(action.state)
        name = (owner.name or owner.email) if owner is not None else "Ingen ansvarig"
        out.append(Followed(action, name, state.label))
    return out


def _confirmed_text(web: Web, done: service.Confirmed) -> str:
    """What the confirmation made, called by its workflow's noun ("2 beslut"), and who is
    told by mail: the secretary knows then whom to expect questions from."""
    made = counted(web.app.registry, [a.workflow for a in done.created])
    names = swedish.listing([p.name or p.email for p, _ in done.by_owner])
    mail = "ett" if len(done.by_owner) == 1 else "var sitt"
    return (
        f"Planen {done.plan.title} har fått {made} ur protokollet. "
        f"{names} får {mail} e-postmeddelande med sin länk."
    )


def _render_changed(
    request: Request,
    web: Web,
    session: Session,
    protokoll_id: int,
    typed: Typed,
    exc: service.DraftsChanged,
) -> Response:
    """The review page after someone else saved the drafts: the typed drafts in the boxes,
    what is saved now beside each that differs, and the form at the saved version, so that
    saving again is a choice made after seeing both. Drafts merged meanwhile no longer line
    up with the typed ones: then the boxes hold the saved drafts and the typed are listed."""
    protokoll = service.get_protokoll(session, protokoll_id)
    if protokoll.confirmed_at is not None:
        flash(request, service.ALREADY_CONFIRMED)
        return RedirectResponse(f"/protokoll/{protokoll_id}", status_code=303)
    saved = service.drafts_of(protokoll)
    rows = typed.rows()
    lined_up = len(rows) == len(saved)
    drafts = [_as_typed(d, r) for d, r in zip(saved, rows, strict=True)] if lined_up else saved
    return _render_review(
        request,
        web,
        session,
        protokoll,
        drafts,
        error=FormError(exc.message),
        status_code=refusal_status(exc),
        saved=saved if lined_up else None,
        unsaved=None if lined_up else rows,
        typed_owners=typed.owners() if lined_up else None,
    )


def _as_typed(draft: Draft, row: TypedRow) -> Draft:
    return replace(
        draft,
        what=row.what,
        owner_id=row.owner_id,
        due_on=row.due_on,
        reports_to=row.reports_to,
        keep=row.keep,
    )


def _reviewed(stored: list[Draft], typed: Typed) -> list[Draft]:
    """The stored drafts with what the form says of each, in the same order."""
    columns = [typed.what, typed.owner, typed.due_on, typed.reports_to]
    # A form without the new owner's boxes (a page loaded before they were there) has none.
    optional = [typed.owner_name, typed.owner_email]
    if (
        typed.count != len(stored)
        or any(len(c) != typed.count for c in columns)
        or any(len(c) not in (0, typed.count) for c in optional)
    ):
        raise Refused(
            "Utkasten har ändrats sedan sidan visades. Ladda om sidan och gör ändringarna igen."
        )
    result = []
    for i, draft in enumerate(stored):
        text = typed.what[i]
        if len(text) > rules.WHAT_LIMIT:
            raise DraftRefused(
                f"Beslut {i + 1}: texten är för lång, högst {rules.WHAT_LIMIT} tecken.",
                field=rules.WHAT_FIELD,
                index=i,
            )
        if len(_at(typed.owner_name, i)) > NAME_LIMIT:
            raise DraftRefused(
                f"Beslut {i + 1}: namnet är för långt, högst {NAME_LIMIT} tecken.",
                field=rules.OWNER_NAME_FIELD,
                index=i,
            )
        try:
            day = parse_date(typed.due_on[i], f"Beslut {i + 1}, klart till")
        except Refused as exc:
            raise DraftRefused(exc.message, field=rules.DUE_FIELD, index=i) from None
        result.append(
            replace(
                draft,
                what=text.strip(),
                owner_id=_owner_id(typed.owner[i]),
                due_on=day,
                reports_to=typed.reports_to[i].strip()[: rules.REPORTS_TO_LIMIT],
                keep=i in typed.keep,
            )
        )
    return result


def _indices(values: list[str] | None, count: int) -> set[int]:
    picked = (plain_int(v, 5) for v in values or [])
    return {i for i in picked if i is not None and i < count}
