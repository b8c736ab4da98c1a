"""Files the web hands out: one way to name them for the browser, and one way to serve a
document (an återrapport, a follow-up): the HTML to read in the browser, sandboxed; the PDF
and DOCX to keep, downloaded. Never kept by caches on the way, so that a document taken down
or a plan withdrawn is no longer served from one."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response

from tracker.web.security import DOCUMENT_CSP


def content_disposition(filename: str, *, inline: bool = False, fallback: str = "") -> str:
    """Content-Disposition for `filename`: the UTF-8 name for browsers (RFC 6266), and a plain
    ASCII one for older clients (`fallback`, else the name with other characters as '?')."""
    plain = (fallback or filename).encode("ascii", "replace").decode("ascii").replace('"', "")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


def document_response(data: bytes, filename: str, content_type: str, fmt: str) -> Response:
    """A rendered or archived document: HTML shown in the browser under a policy that lets
    it use its own inline style and nothing else; any other format downloaded."""
    html = fmt == "html"
    headers = {
        "Content-Disposition": content_disposition(filename, inline=html),
        "Cache-Control": "no-store",
    }
    if html:
        headers["Content-Security-Policy"] = DOCUMENT_CSP
    return Response(data, media_type=content_type, headers=headers)
