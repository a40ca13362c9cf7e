"""What the passes of the checker write to, and the wording they share.

Every pass reads the frozen `Scope` and writes only here: the diagnostics, and which facts,
outcomes and computed values it saw read (for the W101-W103 lints at the end).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from compiler.diagnostics import Diagnostic, Span, error, warning
from compiler.syntax import nodes


@dataclass
class Report:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    used_facts: set[str] = field(default_factory=set)
    used_outcomes: set[str] = field(default_factory=set)
    used_computed: set[str] = field(default_factory=set)
    reported: set[tuple[str, str]] = field(default_factory=set)  # (code, name): causes already reported

    def first(self, code: str, name: str) -> bool:
        """Whether this cause is new: a name misspelt in several places is reported at the first."""
        if (code, name) in self.reported:
            return False
        self.reported.add((code, name))
        return True

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(error(code, message, span, hint))

    def warning(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(warning(code, message, span, hint))


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def undeclared_outcome(name: str, outcomes: Iterable[str]) -> str:
    """How to mend a rule or example naming an outcome that is not declared."""
    declare = f'declare it beside the others: `outcome {name} "What it means."`'
    close = closest(name, outcomes)
    return declare if close is None else f"did you mean '{close}'? If not, {declare}"


def closest(name: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest_named(name: str, candidates: Mapping[str, str]) -> str | None:
    """`suggest` among names of several kinds, saying which kind the closest is: "did you mean value
    'bmi'?" (`candidates` maps each name to how to call it)."""
    close = closest(name, candidates)
    return None if close is None else f"did you mean {candidates[close]}?"


def fold(prose: nodes.Prose) -> str:
    return "\n\n".join(prose.paragraphs)


def a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def describe(expr: nodes.Expr) -> str:
    if isinstance(expr, nodes.Name):
        return f"'{expr.name}'"
    if isinstance(expr, nodes.IntLit):
        return f"the number {expr.value}"
    if isinstance(expr, nodes.BoolLit):
        return "true" if expr.value else "false"
    if isinstance(expr, nodes.DateLit):
        return f"the date {expr.text}"
    if isinstance(expr, nodes.StrLit):
        return f'the string "{expr.value}"'
    return "an expression"
