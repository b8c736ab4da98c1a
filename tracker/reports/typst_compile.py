"""Typst, run in a child process: every PDF the product makes, and the chart pictures for the
DOCX.

One process per document: the Typst compiler memoizes layouts for the life of a process and
never frees them (about 600 MB more after each 2,000-åtgärd report was measured), which a
long-running web server or scheduler cannot afford. A child also lets the parent put a time
limit on a compile.

Only the bundled fonts are used (no system fonts, and not the fonts built into Typst), so the
bytes do not depend on the server's font packages or the Typst version's extras: the same
data gives the same file on every machine. Liberation Sans sets the text; Noto Sans Symbols 2
(ticks, stars, arrows, many pictographs) and Noto Sans Arabic step in for what it lacks.

Every text is first made printable (`printable`): a character no bundled font can draw would
make Typst refuse a PDF/A document, so one user's emoji would stop a report from being sent.

    python -m tracker.reports.typst_compile TEMPLATE pdf|png TIMESTAMP < data.json > out
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
FONTS = HERE / "fonts"
Format = Literal["pdf", "png"]

# What stands in for a character no bundled font can draw: WHITE SQUARE, the box programs show
# for a missing glyph, so a reader sees that something stood there (the HTML and the DOCX keep
# the character itself). Liberation Sans has it. Not "?", which reads as punctuation and
# changes a sentence, and not U+FFFD, which no bundled font has and which reads as a broken
# encoding.
STAND_IN = "\u25a1"
_JOINER = "\u200d"
_REGIONAL = range(0x1F1E6, 0x1F200)  # two of these make one flag
_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))
_SKIN_TONES = range(0x1F3FB, 0x1F400)
Fate = Literal["keep", "drop", "space", "replace"]


class RenderError(RuntimeError):
    """The compiler failed; the message carries its diagnostics."""


@cache
def drawable() -> frozenset[int]:
    """Every code point some bundled font draws and a PDF/A document may hold, and the
    whitespace that lays out lines. Read once per process: the fonts ship with the code."""
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for path in sorted(FONTS.glob("*.ttf")):
        with TTFont(path, lazy=True) as font:
            points.update(font.getBestCmap())
    # Typst refuses a byte order mark in PDF/A, and private-use characters (which carry no
    # meaning a reader or a screen reader could extract), even where a font maps them.
    refused = {p for p in points if unicodedata.category(chr(p)) in ("Co", "Cc")} | {0xFEFF}
    return frozenset((points - refused) | {ord(c) for c in "\t\n\r"})


def _fate(ch: str, fonts: frozenset[int]) -> Fate:
    """What a character becomes in a PDF."""
    if ord(ch) in fonts:
        return "keep"
    category = unicodedata.category(ch)
    if category == "Co":
        return "replace"
    if category[0] == "Z":
        return "space"
    # Invisible by nature (controls, direction marks, zero-width spaces, the byte order mark,
    # tags, variation selectors): nothing was there for a reader to see, so a box would add
    # something.
    if category in ("Cc", "Cf") or any(ord(ch) in r for r in _SELECTORS):
        return "drop"
    # A skin tone only modifies the emoji before it, which is then shown in its plain colour.
    if ord(ch) in _SKIN_TONES:
        return "drop"
    return "replace"


def _folds(ch: str, fate: Fate, after: str) -> bool:
    """Whether `ch` belongs to the character a stand-in was just written for: a mark on it, a
    person joined to a family with U+200D, the second letter of a flag. One box per character
    a reader sees, not one per code point."""
    if after == "joiner":
        return fate == "replace"
    if after not in ("stand-in", "flag"):
        return False
    if ch == _JOINER:
        return True
    if after == "flag" and ord(ch) in _REGIONAL:
        return True
    return fate == "replace" and unicodedata.category(ch) in ("Mn", "Mc", "Me")


def printable(text: str) -> str:
    """`text` as the bundled fonts can draw it and PDF/A allows it: composed (NFC, so a letter
    with a separate accent becomes the letter the font has), every other character no font
    draws replaced by STAND_IN, invisible ones dropped, unknown spaces made plain."""
    fonts = drawable()
    if unicodedata.is_normalized("NFC", text) and fonts.issuperset(map(ord, text)):
        return text  # nearly every text: a few ms for a long report instead of a second
    out: list[str] = []
    after = ""  # "stand-in", "flag" (one regional letter so far) or "joiner" after one
    for ch in unicodedata.normalize("NFC", text):
        fate = _fate(ch, fonts)
        if fate == "drop":
            continue
        if _folds(ch, fate, after):
            after = "joiner" if ch == _JOINER else "stand-in"
            continue
        if fate == "replace":
            out.append(STAND_IN)
            after = "flag" if ord(ch) in _REGIONAL else "stand-in"
            continue
        out.append(" " if fate == "space" else ch)
        after = ""
    return "".join(out)


def _printable_data(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {key: _printable_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable_data(item) for item in value]
    return value


def run(
    template: str,
    data: Mapping[str, Any],
    *,
    fmt: Format,
    timestamp: int,
    timeout: float = 300,
) -> bytes:
    """The compiled document: `template` (a file in templates/) with `data` as its JSON, every
    text in it made printable."""
    payload = json.dumps(_printable_data(data), ensure_ascii=False).encode("utf-8")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", __name__, template, fmt, str(timestamp)],
            input=payload,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"{fmt.upper()} kunde inte skapas på {timeout:g} sekunder") from exc
    magic = b"%PDF" if fmt == "pdf" else b"\x89PNG"
    if proc.returncode != 0 or not proc.stdout.startswith(magic):
        message = proc.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise RenderError(f"{fmt.upper()} kunde inte skapas: {message or proc.returncode}")
    return proc.stdout


def main(argv: list[str]) -> int:
    import typst

    template, fmt, timestamp = argv[1], argv[2], int(argv[3])
    data = sys.stdin.buffer.read().decode("utf-8")
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONTS)]
    )
    common: dict[str, Any] = {
        "font_paths": fonts,
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
