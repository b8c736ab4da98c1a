"""Checking the SMTP server without sending anything: connect, EHLO, STARTTLS, log in."""

from __future__ import annotations

import smtplib
import ssl

from config import Settings


def probe_smtp(settings: Settings, timeout: float = 10.0) -> str:
    """Return what the server said; raise OSError/SMTPException with the reason if it fails."""
    host, port = settings.smtp_host, settings.smtp_port
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        code, banner = smtp.ehlo()
        if code != 250:
            raise smtplib.SMTPResponseException(code, banner)
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        return banner.decode(errors="replace").splitlines()[0]
