"""The e-mails around an återrapport: the draft to the chef, the issued report to the nämnd.

Plain text and HTML parts say the same; texts are escaped in the HTML part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from markupsafe import escape

from notifications import Attachment, OutgoingMessage
from notifications.swedish import greeting, long_date, month_year
from tracker.domain.control_report import ControlSnapshot
from tracker.domain.control_report import report_title as control_report_title
from tracker.domain.meetings import board_meeting
from tracker.domain.report import Snapshot
from tracker.domain.report_schedule import Occasion
from tracker.models import ReportFile
from tracker.services.report_schedule import NotUpdated


def _html(paragraphs: Iterable[str]) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f'<!DOCTYPE html><html lang="sv"><body>{body}</body></html>'


def board_message(
    to: str,
    snapshot: Snapshot | ControlSnapshot,
    files: Iterable[ReportFile],
    reply_to: str = "",
    occasion: Occasion | None = None,
) -> OutgoingMessage:
    """The issued report to one of the nämnd's recipients; a reply goes to `reply_to`, the
    plan's chef, not to the product's own address. `occasion` is the meeting the report is
    for, when the nämnd has a sammanträdesplan: the secretary files it under that meeting."""
    plan = snapshot.plan
    assert snapshot.issue is not None, "only an issued report goes to the nämnd"
    number = snapshot.issue.number
    dnr = f" (Dnr {plan.dnr})" if plan.dnr else ""
    attachments = tuple(Attachment(f.filename, f.content_type, f.data) for f in files)
    if isinstance(snapshot, ControlSnapshot):
        title = control_report_title(snapshot.control_plan.year)
        subject = f"{title}, nr {number}: {snapshot.control_plan.namnd}{dnr}"
        lead = (
            f"Här kommer uppföljning nr {number} av ”{snapshot.control_plan.title}”{dnr}, "
            f"för perioden {snapshot.period_start.isoformat()} – "
            f"{snapshot.period_until.isoformat()}"
            + (f" ({snapshot.period_name})" if snapshot.period_name else "")
            + (
                f", läget per {snapshot.as_of.isoformat()}"
                if snapshot.period_until != snapshot.as_of
                else ""
            )
            + ", med chefens samlade bedömning."
        )
        next_line = "Nästa uppföljning"
    else:
        subject = f"Återrapport nr {number}: {plan.title}{dnr}"
        lead = (
            f"Här kommer återrapport nr {number} av åtgärdsplanen ”{plan.title}”{dnr}, "
            f"med läget {snapshot.as_of.isoformat()}."
        )
        next_line = "Nästa återrapport"
    paragraphs = [
        "Till nämnden" + (f", {plan.namnd}" if plan.namnd else ""),
        lead,
        *(
            [f"Återrapporten går till {occasion.board} den {long_date(occasion.meeting_on)}."]
            if occasion is not None and occasion.from_calendar
            else []
        ),
        "Rapporten är bifogad som PDF och Word-dokument ("
        + ", ".join(a.filename for a in attachments)
        + ").",
    ]
    if snapshot.next_report_on is not None:
        paragraphs.append(f"{next_line}: {month_year(snapshot.next_report_on)}.")
    signer = ", ".join(x for x in (plan.signatory_name, plan.signatory_title) if x)
    paragraphs.append(
        "Med vänlig hälsning\n" + "\n".join(x for x in (signer, plan.forvaltning) if x)
    )
    return OutgoingMessage(
        to=to,
        subject=subject,
        text="\n\n".join(paragraphs) + "\n",
        html=_html(paragraphs).replace("\n", "<br>"),
        attachments=attachments,
        reply_to=reply_to,
    )


# The draft mail lists this many åtgärder not updated, and says how many more there are.
NOT_UPDATED_LISTED = 50


def _timetable(occasion: Occasion | None, stale: Sequence[NotUpdated]) -> list[str]:
    """What the chef must know about the report's deadline and who has not updated."""
    out = []
    if occasion is not None and occasion.from_calendar:
        out.append(
            f"Återrapporten ska till {board_meeting(occasion.board)} den "
            f"{occasion.meeting_on.isoformat()}. Godkänn den senast "
            f"{occasion.approve_by.isoformat()}, då handlingarna ska vara hos nämndens "
            "sekreterare."
        )
    if stale:
        lines = [
            f"[{n.action_id}] {n.text} – {n.owner}"
            + (f" (senast uppdaterad {n.progress_on.isoformat()})" if n.progress_on else "")
            for n in stale[:NOT_UPDATED_LISTED]
        ]
        more = len(stale) - NOT_UPDATED_LISTED
        if more > 0:
            lines.append(f"… och {more} till.")
        out.append(f"Inte uppdaterade inför återrapporten ({len(stale)}):\n" + "\n".join(lines))
    return out


def draft_review_message(
    to: str,
    name: str,
    report_id: int,
    snapshot: Snapshot | ControlSnapshot,
    pdf: bytes,
    pdf_filename: str,
    review_url: str,
    *,
    occasion: Occasion | None = None,
    stale: Sequence[NotUpdated] = (),
) -> OutgoingMessage:
    plan = snapshot.plan
    subject = f"Utkast till återrapport att granska: {plan.title} ({month_year(snapshot.period)})"
    lead = (
        f"Ett utkast till återrapport av åtgärdsplanen ”{plan.title}” är klart, med läget "
        f"{snapshot.as_of.isoformat()}. Det är bifogat som PDF."
    )
    if isinstance(snapshot, ControlSnapshot):
        title = control_report_title(snapshot.control_plan.year)
        subject = f"Utkast att granska: {title} ({snapshot.control_plan.namnd})"
        lead = (
            f"Ett utkast till {title.lower()} är klart, med läget "
            f"{snapshot.as_of.isoformat()}. Det är bifogat som PDF. Skriv din samlade "
            "bedömning i utkastet; den krävs innan det kan godkännas."
        )
    paragraphs = [
        greeting(name, to),
        lead,
        *_timetable(occasion, stale),
        f"Granska det och godkänn det här: {review_url}",
        f"Eller från kommandoraden: tracker report approve {report_id} --as {to}",
        "När du har godkänt utkastet blir det en numrerad återrapport som arkiveras och skickas "
        "till nämnden. Behöver något ändras, be de ansvariga uppdatera processläget och gör "
        "sedan ett nytt utkast.",
    ]
    return OutgoingMessage(
        to=to,
        subject=subject,
        text="\n\n".join(paragraphs) + "\n",
        html=_html(paragraphs).replace("\n", "<br>"),
        attachments=(Attachment(pdf_filename, "application/pdf", pdf),),
    )


def approval_reminder_message(
    to: str, name: str, plan_title: str, occasion: Occasion, review_url: str
) -> OutgoingMessage:
    """To the chef, the working day before the secretary's deadline, while the draft is not
    approved."""
    where = (
        f" till {board_meeting(occasion.board)} den {occasion.meeting_on.isoformat()}"
        if occasion.from_calendar
        else ""
    )
    subject = f"Godkänn återrapporten senast {occasion.approve_by.isoformat()}: {plan_title}"
    paragraphs = [
        greeting(name, to),
        f"Utkastet till återrapport av åtgärdsplanen ”{plan_title}”{where} är inte godkänt. "
        f"Det ska vara godkänt senast {occasion.approve_by.isoformat()}, då handlingarna ska "
        "vara hos nämndens sekreterare.",
        f"Granska och godkänn det här: {review_url}",
    ]
    return OutgoingMessage(
        to=to,
        subject=subject,
        text="\n\n".join(paragraphs) + "\n",
        html=_html(paragraphs),
    )
