"""E-mail addresses as SMTP carries them.

An address may be written with a Swedish domain (`a@kommunförvaltning.example`) or a local
part outside ASCII (`åsa@pitea.example`). On the wire the domain goes as IDNA A-labels
(`xn--…`), which every relay takes; the local part is sent as written, which only a server
offering SMTPUTF8 (RFC 6531) takes. `mail_address` says which, or refuses an address that
can never be sent, so the same rule decides at entry and at sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import idna

# One bare address: no display name, whitespace, control characters, brackets, quotes or
# second "@". Anything stranger is a typo in practice, and would need quoting on the wire.
_PART = r"[^@\s\x00-\x1f\x7f<>(),;:\"\[\]]+"
_ADDRESS = re.compile(rf"{_PART}@{_PART}\.{_PART}")

# RFC 5321 4.5.3.1: a local part of at most 64 octets, a path of at most 256 (254 without
# the angle brackets).
_LOCAL_MAX = 64
_ADDRESS_MAX = 254


class AddressRefused(ValueError):
    """An address no server can be asked to deliver to; `reason` is for people, in Swedish."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MailAddress:
    # As it goes in the envelope and the To/From header: the local part as written, the
    # domain in A-labels.
    wire: str
    # The local part is not ASCII: only a server offering SMTPUTF8 can take it.
    needs_smtputf8: bool


def mail_address(address: str) -> MailAddress:
    """The address as sent over SMTP; AddressRefused if it can never be sent."""
    if _ADDRESS.fullmatch(address) is None:
        raise AddressRefused(f"Ogiltig e-postadress: '{address}'.")
    local, _, domain = address.rpartition("@")
    wire = f"{local}@{_ascii_domain(domain)}"
    if len(local.encode("utf-8")) > _LOCAL_MAX or len(wire.encode("utf-8")) > _ADDRESS_MAX:
        raise AddressRefused(f"E-postadressen är för lång för att kunna skickas: '{address}'.")
    return MailAddress(wire=wire, needs_smtputf8=not local.isascii())


def _ascii_domain(domain: str) -> str:
    """The domain in A-labels. IDNA 2008 with the UTS 46 mapping (as browsers and mail
    clients do): Python's own "idna" codec is IDNA 2003, which turns "ß" into "ss" and so
    names another domain. An ASCII domain is left to the server to judge."""
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise AddressRefused(
            f"Domänen '{domain}' i e-postadressen kan inte användas: den har tecken som inte "
            "är tillåtna i ett domännamn."
        ) from None
