"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from tracker.models.absence import Absence
from tracker.models.action import Action, ActionEvent
from tracker.models.api_token import ApiToken
from tracker.models.area_event import AreaEvent
from tracker.models.audit import Audit, AuditDocument, Recommendation, RecommendationAction
from tracker.models.escalation import Escalation, EscalationHolder
from tracker.models.indicator import Indicator, IndicatorValue
from tracker.models.internal_control import (
    ControlOccurrence,
    ControlPlan,
    ControlPoint,
    ControlRisk,
)
from tracker.models.login_session import LoginSession
from tracker.models.meeting import Meeting
from tracker.models.outbox import (
    OutboxAction,
    OutboxAttachment,
    OutboxAuditDocument,
    OutboxControlPoint,
    OutboxMessage,
    OutboxReport,
)
from tracker.models.person import Person, Role
from tracker.models.plan import Area, Plan, PlanEvent
from tracker.models.protokoll import Protokoll
from tracker.models.reminder import SentReminder, SentSummary
from tracker.models.report import Report, ReportFile

__all__ = [
    "Absence",
    "Action",
    "ActionEvent",
    "ApiToken",
    "Area",
    "AreaEvent",
    "Audit",
    "AuditDocument",
    "ControlOccurrence",
    "ControlPlan",
    "ControlPoint",
    "ControlRisk",
    "Escalation",
    "EscalationHolder",
    "Indicator",
    "IndicatorValue",
    "LoginSession",
    "Meeting",
    "OutboxAction",
    "OutboxAttachment",
    "OutboxAuditDocument",
    "OutboxControlPoint",
    "OutboxMessage",
    "OutboxReport",
    "Person",
    "Plan",
    "PlanEvent",
    "Protokoll",
    "Recommendation",
    "RecommendationAction",
    "Report",
    "ReportFile",
    "Role",
    "SentReminder",
    "SentSummary",
]
