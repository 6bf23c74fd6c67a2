"""Source locations: where the user wrote something, and how to show it."""

from __future__ import annotations

import linecache
from dataclasses import dataclass


@dataclass(frozen=True)
class Loc:
    """An absolute position in a source file; `col` is 0-based, as in `ast`."""

    file: str
    line: int
    col: int = 0
    end_col: int | None = None
    text: str = ""
    """The source line, read when the Loc is made (not when it is printed)."""

    @classmethod
    def at(cls, file: str, line: int, col: int = 0, end_col: int | None = None) -> "Loc":
        text = linecache.getline(file, line).rstrip("\n")
        return cls(file, line, col, end_col, text)

    def header(self) -> str:
        """`file:line:col` with a 1-based column, as compilers and editors print it."""
        return f"{self.file}:{self.line}:{self.col + 1}"

    def short(self) -> str:
        return f"{self.file}:{self.line}"

    def render(self) -> str:
        """The source line and a caret under the construct."""
        if not self.text:
            return ""
        stripped = self.text.lstrip()
        indent = len(self.text) - len(stripped)
        col = max(self.col - indent, 0)
        end = self.end_col if self.end_col is not None and self.end_col > self.col else self.col + 1
        width = max(end - self.col, 1)
        width = min(width, max(len(stripped) - col, 1))
        return f"    {stripped}\n    {' ' * col}^{'~' * (width - 1)}"
