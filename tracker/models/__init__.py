"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from tracker.models.action import Action, ActionEvent
from tracker.models.login_session import LoginSession
from tracker.models.outbox import OutboxAttachment, OutboxMessage
from tracker.models.person import Person, Role
from tracker.models.plan import Area, Plan
from tracker.models.reminder import SentReminder
from tracker.models.report import Report, ReportFile

__all__ = [
    "Action",
    "ActionEvent",
    "Area",
    "LoginSession",
    "OutboxAttachment",
    "OutboxMessage",
    "Person",
    "Plan",
    "Report",
    "ReportFile",
    "Role",
    "SentReminder",
]
