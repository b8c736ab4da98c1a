"""Typst, run in a child process: the PDF of the återrapport and the chart picture for the DOCX.

One process per document: the Typst compiler memoizes layouts for the life of a process and
never frees them (about 600 MB more after each 2,000-åtgärd report was measured), which a
long-running web server or scheduler cannot afford. A child also lets the parent put a time
limit on a compile.

Only the bundled fonts are used (no system font lookup), so the bytes do not depend on the
server's font packages: the same data gives the same file on every machine.

    python -m tracker.reports.typst_compile TEMPLATE pdf|png TIMESTAMP < data.json > out
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
FONTS = HERE / "fonts"
Format = Literal["pdf", "png"]


class RenderError(RuntimeError):
    """The compiler failed; the message carries its diagnostics."""


def run(template: str, data: bytes, *, fmt: Format, timestamp: int, timeout: float = 300) -> bytes:
    """The compiled document: `template` (a file in templates/) with `data` as its JSON."""
    proc = subprocess.run(
        [sys.executable, "-m", __name__, template, fmt, str(timestamp)],
        input=data,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    magic = b"%PDF" if fmt == "pdf" else b"\x89PNG"
    if proc.returncode != 0 or not proc.stdout.startswith(magic):
        message = proc.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise RenderError(f"{fmt.upper()} kunde inte skapas: {message or proc.returncode}")
    return proc.stdout


def main(argv: list[str]) -> int:
    import typst

    template, fmt, timestamp = argv[1], argv[2], int(argv[3])
    data = sys.stdin.buffer.read().decode("utf-8")
    common: dict[str, Any] = {
        "font_paths": [str(FONTS)],
        "ignore_system_fonts": True,
        "sys_inputs": {"data": data},
        "timestamp": timestamp,
    }
    try:
        if fmt == "pdf":
            # PDF/A-2a for the archive (a public record, kept for good) and PDF/UA-1 for
            # screen readers; Typst refuses to write a document that breaks a rule it checks.
            out = typst.compile(
                str(TEMPLATES / template), format="pdf", pdf_standards=["a-2a", "ua-1"], **common
            )
        else:
            out = typst.compile(str(TEMPLATES / template), format="png", ppi=200, **common)
    except typst.TypstError as exc:
        print(f"Typst: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
