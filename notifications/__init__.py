"""Messages: rendering (Jinja2) and delivery (yagmail over SMTP). Knows nothing of plans."""

from notifications.message import Attachment, OutgoingMessage

__all__ = ["Attachment", "OutgoingMessage"]
