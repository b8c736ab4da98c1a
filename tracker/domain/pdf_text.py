"""The text of a PDF's pages, read by pypdf in a child process with a time and a memory limit.

A PDF comes from whoever uploads a protokoll, and what pypdf spends on it is not bounded by
the file's size: a 30 kB file with one page whose content unpacks to 8 MB took 30 s of CPU to
read here, and pages can share one such content, or draw one form many times. pypdf also
fails on a broken file with whatever its parser meets (AttributeError, NotImplementedError,
LimitReachedError, ...), not only PdfReadError. In a child, the parent stops the reading after
`seconds`, the child cannot grow past MEMORY_BYTES, and any failure is one answer: the file
cannot be read. Starting the child costs some 0.3 s, once per uploaded PDF.

    python -m tracker.domain.pdf_text < protokoll.pdf > pages.json
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
from typing import Literal

# Minutes of some ten pages read in a second or two; a 100-page protokoll in well under this.
SECONDS = 30.0
# The child's address space: Python and pypdf take some 100 MB of it.
MEMORY_BYTES = 1024 * 1024 * 1024

Reason = Literal["broken", "encrypted", "slow"]


class PdfUnreadable(Exception):
    """Why the pages could not be read: a broken file, a password, or too slow to read."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


def pdf_pages(data: bytes, *, seconds: float = SECONDS) -> list[str]:
    """Each page's text, in order (empty for a page without a text layer)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", __name__],
            input=data,
            capture_output=True,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed the child
        raise PdfUnreadable("slow") from exc
    try:
        answer = json.loads(proc.stdout) if proc.returncode == 0 else {}
    except ValueError:
        answer = {}
    if answer.get("encrypted"):
        raise PdfUnreadable("encrypted")
    pages = answer.get("pages")
    if not isinstance(pages, list) or not all(isinstance(p, str) for p in pages):
        raise PdfUnreadable("broken")
    return pages


def main() -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    import pypdf

    data = sys.stdin.buffer.read()
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            answer: dict[str, object] = {"encrypted": True}
        else:
            answer = {"pages": [page.extract_text() or "" for page in reader.pages]}
    except Exception:  # pypdf raises many kinds for a broken file; MemoryError at the limit
        return 1
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
