"""What is wrong with a file, said so the user can find it: "Rad 7, kolumn E-post: ..."."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.errors import TrackerError


@dataclass(frozen=True)
class Problem:
    """One error or warning. `row` is the row number Excel shows (header = 1); `place` names
    a sheet or a side file when it is not the main table."""

    message: str
    row: int | None = None
    column: str | None = None
    place: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"rad {self.row}")
        if self.column:
            parts.append(f"kolumn {self.column}")
        text = f"{', '.join(parts)}: {self.message}" if parts else self.message
        text = text[:1].upper() + text[1:]
        # A file name is shown as it is spelt.
        return f"{self.place}: {text}" if self.place else text


class FileRefused(TrackerError):
    """The file was checked and refused as a whole; nothing was imported."""

    def __init__(self, filename: str, problems: Sequence[Problem]) -> None:
        self.filename = filename
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{filename} importerades inte ({count} fel); ingenting sparades."
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))
