"""The token and token cursor the engines' hand-written parsers share (metric math, AlarmRule, Metrics Insights)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tok:
    kind: str  # the parser's own token kinds (WORD, NUM, OP, END, ...)
    text: str
    pos: int  # offset in the source text


class TokenCursor:
    """``peek``/``take`` over ``self.toks`` (the list ends with the parser's END token, so peeking never fails)."""

    toks: list[Tok]
    i: int

    def peek(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok
