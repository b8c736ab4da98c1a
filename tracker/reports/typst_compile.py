"""Child process that turns the report's JSON data into PDF bytes with Typst.

Run by pdf.render_pdf, one process per document: the Typst compiler memoizes layouts for the
life of a process and never frees them (about 600 MB more after each 2,000-åtgärd report was
measured), which a long-running web server or scheduler cannot afford. A child also lets the
parent put a time limit on a compile.

    python -m tracker.reports.typst_compile TIMESTAMP < data.json > report.pdf
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
TEMPLATE = HERE / "templates" / "report.typ"
FONTS = HERE / "fonts"


def main(argv: list[str]) -> int:
    import typst

    data = sys.stdin.buffer.read().decode("utf-8")
    try:
        pdf = typst.compile(
            str(TEMPLATE),
            format="pdf",
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,
            sys_inputs={"data": data},
            timestamp=int(argv[1]),
            # PDF/A-2a for the archive (a public record, kept for good) and PDF/UA-1 for
            # screen readers; Typst refuses to write a document that breaks a rule it checks.
            pdf_standards=["a-2a", "ua-1"],
        )
    except typst.TypstError as exc:
        print(f"Typst: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
