"""One exception type for bad input, so that every script can report it in one clear line."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: names the file (or config key), the line and what was expected."""

    def __init__(self, message: str, path: object = None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}, line {line}"
            where += ": "
        super().__init__(where + message)
