"""How the web names a file it hands out: a header any HTTP stack can carry, whatever the
plan or granskning is called, with the real name for the browser."""

from __future__ import annotations

from urllib.parse import unquote

from tracker.web.downloads import content_disposition, document_response


def test_any_name_gives_an_ascii_header_with_the_utf8_name_for_the_browser() -> None:
    name = 'Piteås "plan" 2018 – €.xlsx'
    header = content_disposition(name)
    header.encode("ascii")  # an HTTP header: nothing else may reach the wire
    assert header.startswith('attachment; filename="Pite?s plan 2018 ? ?.xlsx"; ')
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == name
    assert content_disposition("a.csv", fallback="plan-1.csv").startswith(
        'attachment; filename="plan-1.csv"'
    )


def test_a_document_is_read_in_the_browser_sandboxed_or_downloaded() -> None:
    html = document_response(b"<p>x</p>", "återrapport.html", "text/html", "html")
    assert html.headers["content-disposition"].startswith("inline; ")
    assert "sandbox" in html.headers["content-security-policy"]
    assert html.headers["cache-control"] == "no-store"
    pdf = document_response(b"%PDF", "återrapport.pdf", "application/pdf", "pdf")
    assert pdf.headers["content-disposition"].startswith("attachment; ")
    assert "content-security-policy" not in pdf.headers
