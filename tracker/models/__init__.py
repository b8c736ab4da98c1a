"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from tracker.models.action import Action, ActionEvent
from tracker.models.area_event import AreaEvent
from tracker.models.escalation import Escalation, EscalationHolder
from tracker.models.login_session import LoginSession
from tracker.models.meeting import Meeting
from tracker.models.outbox import OutboxAttachment, OutboxMessage
from tracker.models.person import Person, Role
from tracker.models.plan import Area, Plan, PlanEvent
from tracker.models.reminder import SentReminder, SentSummary
from tracker.models.report import Report, ReportFile

__all__ = [
    "Action",
    "ActionEvent",
    "Area",
    "AreaEvent",
    "Escalation",
    "EscalationHolder",
    "LoginSession",
    "Meeting",
    "OutboxAttachment",
    "OutboxMessage",
    "Person",
    "Plan",
    "PlanEvent",
    "Report",
    "ReportFile",
    "Role",
    "SentReminder",
    "SentSummary",
]
