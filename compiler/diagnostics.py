"""Diagnostics: the one type every stage uses to report a problem in a policy.

Stages append `Diagnostic`s to a list and carry on, so an author sees every
problem at once; the driver renders them as

    policies/x.policy:12:9: error[E201]: fact 'agee' is not declared
       12 |     rule D.II "..." when agee <= 18
          |                          ^^^^
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node stands in its source: 1-based lines and columns, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    span: Span
    hint: str | None = None

    def render(self, source: str | None) -> str:
        head = visible(f"{self.span}: {self.severity.value}[{self.code}]: {self.message}")
        lines = [head]
        excerpt = _excerpt(source, self.span)
        if excerpt:
            lines.extend(excerpt)
        if self.hint:
            lines.append(f"      = help: {self.hint}")
        return "\n".join(lines)


def error(code: str, message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, span, hint)


def warning(code: str, message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, message, span, hint)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    span = diagnostic.span
    return (span.file, span.line, span.column, diagnostic.code)


def render_all(diagnostics: list[Diagnostic], sources: dict[str, str]) -> str:
    """Render in source order, each with its source line and a caret."""
    ordered = sorted(diagnostics, key=sort_key)
    return "\n".join(d.render(sources.get(d.span.file)) for d in ordered)


def visible(text: str) -> str:
    """Text safe to print on a terminal: a control or other unprintable character becomes '?', one for
    one, so a caret stays under its column and no escape sequence reaches the terminal."""
    return "".join(char if char.isprintable() else "?" for char in text)


def _excerpt(source: str | None, span: Span) -> list[str]:
    if source is None:
        return []
    lines = source.split("\n")  # as the parser counts lines: U+2028, a form feed or a lone CR end none
    if not 1 <= span.line <= len(lines):
        return []
    text = visible(lines[span.line - 1].removesuffix("\r").expandtabs(1))
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    gutter = f"{span.line:>5} | "
    caret = " " * (len(gutter) - 2) + "| " + " " * (span.column - 1) + "^" * width
    return [gutter + text, caret]


class CompileError(Exception):
    """Raised by the driver when a policy has errors; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str]) -> None:
        self.diagnostics = diagnostics
        self.sources = sources
        super().__init__(render_all(diagnostics, sources))


def display_path(path: Path) -> str:
    """The path an author typed, relative to the working directory when inside it."""
    try:
        return str(path.absolute().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
