"""Parsing: policy source text -> `nodes.PolicyFile`, plus diagnostics.

The grammar lives in grammar/policy.lark and is run by Lark's LALR(1) parser.
`transform.py` turns Lark's parse tree into syntax nodes; this module loads the
grammar, runs the parser and says what a syntax error means, in words.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from compiler.diagnostics import Diagnostic, Span, error
from compiler.syntax import nodes
from compiler.syntax.transform import PolicyTransformer, fold_text, span_of

_HERE = Path(__file__).resolve().parent
# In a source checkout the grammar sits at the repository root; a wheel carries a copy.
_GRAMMAR_PATHS = (_HERE.parents[1] / "grammar" / "policy.lark", _HERE / "policy.lark")


# Before 0.2, a code's label and a revision's action followed it with no colon, which let
# `"E10.*" "E11.9"` be read as one labelled code. `policyc fmt` still reads that form, to rewrite it.
_LEGACY_RULES = {  # each accepts the old form and the new
    'code_entry: STRING [":" STRING]': 'code_entry: STRING [[":"] STRING]',
    'revision: "revision" REVISION_KIND [DATE] [":" STRING]': (
        'revision: "revision" REVISION_KIND [DATE] [[":"] STRING]'
    ),
}


@functools.cache
def _parser(legacy: bool = False) -> Lark:
    path = next(p for p in _GRAMMAR_PATHS if p.exists())
    grammar = path.read_text(encoding="utf-8")
    if legacy:
        for rule, old in _LEGACY_RULES.items():
            grammar = grammar.replace(rule, old)
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        strict=not legacy,  # a conflict in the grammar is an error, never resolved in silence
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,  # the parse tables, in the temporary directory, keyed by the grammar's hash
        start=["start", "tests"],
    )


def parse(text: str, file: str, legacy: bool = False) -> tuple[nodes.PolicyFile | None, list[Diagnostic]]:
    """Parse one policy source. Returns the AST (None on a syntax error) and diagnostics.

    With `legacy`, read the syntax before 0.2 as well (for `policyc fmt`, which rewrites it)."""
    tree, diagnostics = _parse(text, file, "start", legacy)
    if tree is None and not legacy and _parse(text, file, "start", True)[0] is not None:
        hint = "this is the syntax before policyc 0.2 (a code's label or a revision's text with no ':'): "
        hint += "`policyc fmt` rewrites it"
        diagnostics = [dataclasses.replace(d, hint=hint) for d in diagnostics]
    return tree, diagnostics


def parse_tests(text: str, file: str) -> tuple[nodes.TestFile | None, list[Diagnostic]]:
    """Parse one test file (X.tests beside X.policy), in the same way."""
    return _parse(text, file, "tests")


def _parse(text: str, file: str, start: str, legacy: bool = False) -> tuple[Any, list[Diagnostic]]:
    try:
        tree = _parser(legacy).parse(text, start=start)
    except UnexpectedInput as exc:
        return None, [syntax_error(exc, text, file)]
    too_deep = _too_deep(tree, file)
    if too_deep is not None:
        return None, [too_deep]
    transformer = PolicyTransformer(file)
    try:
        policy_file = transformer.transform(tree)
    except VisitError as exc:  # pragma: no cover - a transformer bug, not an author's mistake
        raise exc.orig_exc from exc
    return policy_file, transformer.diagnostics


MAX_NESTING = 200  # far beyond any policy, and well within Python's recursion limit


def _too_deep(tree: Tree[Token], file: str) -> Diagnostic | None:
    """Nesting deeper than MAX_NESTING, found without recursion, so later stages can recurse safely."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            span = span_of(file, node.meta)
            return error("E005", f"expressions are nested more than {MAX_NESTING} levels deep", span)
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return None


# -- Syntax errors -------------------------------------------------------------------


def syntax_error(exc: UnexpectedInput, text: str, file: str) -> Diagnostic:
    line, column = exc.line or 1, exc.column or 1
    if isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream or 0
        found = repr(text[position]) if position < len(text) else "end of file"
        message = f"unexpected character {found}"
        expected = exc.allowed
    elif isinstance(exc, UnexpectedEOF):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        message = "unexpected end of file"
        expected = set(exc.expected)
    else:
        assert isinstance(exc, UnexpectedToken)
        token = exc.token
        if token.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            message = "unexpected end of file"
        else:
            message = f"unexpected {_describe_token(token)}"
        expected = exc.expected
    if line is None or line < 1:
        line, column = 1, 1
    width = 1
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        width = max(1, len(str(exc.token).split("\n", 1)[0]))
    span = Span(file, line, column, line, column + width)
    hint = None
    names = sorted({_describe_terminal(name) for name in expected if not name.startswith("$")})
    misspelt = _misspelt_keyword(exc, expected)
    if misspelt is not None:
        hint = f"did you mean '{misspelt}'?"
    elif names:
        hint = "expected " + _one_of(names)
    if text.startswith("\ufeff") and (line, column) == (1, 1):
        hint = "the file starts with a byte order mark (U+FEFF): save it as UTF-8 without one"
    return error("E001", f"syntax error: {message}", span, hint)


def _misspelt_keyword(exc: UnexpectedInput, expected: set[str]) -> str | None:
    """The keyword a name stands where one was expected, when it is spelt close to one (`critrion`)."""
    if not isinstance(exc, UnexpectedToken) or exc.token.type != "NAME":
        return None
    words: list[str] = []
    for name in expected:
        try:
            pattern = _parser().get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str" and pattern.value.isidentifier():
            words.append(pattern.value)
        elif name.endswith("KIND") or name == "JURISDICTION_EVENT":  # alternatives of keywords
            words += re.findall(r"[a-z_]+", pattern.value)
    close = difflib.get_close_matches(str(exc.token), words, n=1, cutoff=0.75)
    return close[0] if close else None


def _describe_token(token: Token) -> str:
    if token.type in ("NAME", "INT", "DECIMAL", "DATE", "SECTION_ID", "FIELD"):
        kind = _describe_terminal(token.type).removeprefix("a ")
        return f"{kind} '{token}'"
    if token.type in ("STRING", "TEXT"):
        return "string"
    return f"'{token}'"


_TERMINAL_NAMES = {
    "NAME": "a name",
    "INT": "a whole number",
    "DECIMAL": "a decimal number (2.5)",
    "DURATION_UNIT": "days, weeks, months or years",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "DATE": "a date (YYYY-MM-DD)",
    "SECTION_ID": "a section label (D.I.A)",
    "STRING": "a string",
    "TEXT": 'a text block ("""...""")',
    "COMPARATOR": "a comparison (== != < <= > >=)",
    "PROVISION_KIND": "a provision (criteria, criterion, rule, contraindications, ...)",
    "REVISION_KIND": "issued, revised, effective or archived",
    "JURISDICTION_EVENT": "effective or inactive",
    "FIELD": "a record's field (trial.drug)",
    "RECORD_QUANTIFIER": "any, every or no",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    try:
        pattern = _parser().get_terminal(name).pattern
    except KeyError:
        return name.lower()
    return f"'{pattern.value}'"


def _one_of(names: list[str]) -> str:
    """In words, and short: the first few, then how many more."""
    if len(names) == 1:
        return names[0]
    shown = names if len(names) <= 8 else [*names[:7], f"{len(names) - 7} more"]
    return "one of: " + ", ".join(shown)


__all__ = ["fold_text", "parse", "parse_tests", "syntax_error"]
