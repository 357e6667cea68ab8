"""The error raised for invalid CloudWatch Logs filter patterns (shared by the parser and the regex engine)."""

from __future__ import annotations

# AWS's two known message texts (spec logs.md §1.7). Everything the docs do not name uses the generic one.
INVALID_FILTER_PATTERN = "Invalid filter pattern"
INVALID_CHARACTERS = "Invalid character(s) in term"
MAX_PATTERN_LENGTH = 1024
_WS = " \t\n\r\f\v"


def is_blank(pattern: str | None) -> bool:
    """True for a pattern that matches every event and is valid (empty or white space, at most 1024 characters):
    callers skip importing the engine for it (start-up: the engine and its regex library cost ~10 ms)."""
    return not pattern or (len(pattern) <= MAX_PATTERN_LENGTH and not pattern.strip(_WS))


class FilterPatternError(ValueError):
    """An invalid filter pattern, shaped like AWS's ``InvalidParameterException``.

    ``message`` is the text AWS answers with; ``detail`` is awsmon's own explanation (never sent by AWS) and
    ``position`` the 0-based offset in the pattern where the problem was found.
    """

    code: str
    message: str
    position: int | None
    detail: str | None

    def __init__(
        self,
        message: str = INVALID_FILTER_PATTERN,
        position: int | None = None,
        detail: str | None = None,
        code: str = "InvalidParameterException",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position
        self.detail = detail

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} (at position {self.position})"


def invalid_term(term_prefix: str, position: int, detail: str | None = None) -> FilterPatternError:
    """AWS's ``Invalid character(s) in term '<text>'``: the text is the term up to the offending character.

    [design choice] AWS's only recorded instance is ``'$."'`` for ``$."detail-type"``: the selector text up to and
    including the first bad character, which is what this reproduces.
    """
    return FilterPatternError(f"{INVALID_CHARACTERS} '{term_prefix}'", position, detail)
