"""Checking the SMTP server without sending anything: connect, EHLO, STARTTLS, log in."""

from __future__ import annotations

import smtplib
import socket
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


def smtp_problem(settings: Settings, exc: BaseException) -> str:
    """Why probe_smtp failed, in Swedish, with the setting to look at; the error itself in
    parentheses for whoever searches for it."""
    s = settings
    said = f" ({exc})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"serverns certifikat godtas inte ({exc.verify_message}): certifikatet ska vara "
            f"utfärdat för {s.smtp_host} av en utfärdare som datorn litar på. Lägg kommunens "
            "CA-certifikat i systemets förtroendelager (/usr/local/share/ca-certificates och "
            "update-ca-certificates) eller ange filen med SSL_CERT_FILE i tjänstens miljö"
        )
    if isinstance(exc, ssl.SSLError):
        if s.smtp_security == "tls":
            advice = (
                'smtp_security = "tls" kräver en port där servern talar TLS direkt (oftast '
                '465); för port 587 används "starttls"'
            )
        else:
            advice = "kontrollera smtp_security och smtp_port mot e-postserverns inställningar"
        return f"krypteringen (TLS) kunde inte sättas upp{said}: {advice}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"servern godtog inte inloggningen som '{s.smtp_user}'{said}: kontrollera smtp_user "
            "och TRACKER_SMTP_PASSWORD"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if "auth" in str(exc).lower():
            return (
                f"servern erbjuder ingen inloggning{said}: med smtp_user satt krävs oftast "
                'smtp_security = "starttls" (port 587) eller "tls" (port 465); lämna smtp_user '
                "tomt för en relä utan inloggning"
            )
        return (
            f"servern erbjuder inte STARTTLS{said}: kontrollera smtp_port, eller sätt "
            'smtp_security = "tls" (port 465) eller "none" för en lokal relä utan kryptering'
        )
    if isinstance(exc, socket.gaierror):
        return f"namnet {s.smtp_host} går inte att slå upp{said}: kontrollera smtp_host"
    if isinstance(exc, ConnectionRefusedError):
        return (
            f"ingen e-postserver tar emot anslutningar på {s.smtp_host}:{s.smtp_port}{said}: "
            "kontrollera smtp_host och smtp_port och att servern är igång"
        )
    if isinstance(exc, TimeoutError):
        return (
            f"servern svarade inte{said}: kontrollera smtp_host och smtp_port, och att en "
            "brandvägg släpper fram anslutningen från den här datorn"
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return (
            f"servern stängde anslutningen{said}: kontrollera smtp_security och smtp_port mot "
            "e-postserverns inställningar"
        )
    return f"{exc}: kontrollera smtp_host, smtp_port, smtp_security och smtp_user"
