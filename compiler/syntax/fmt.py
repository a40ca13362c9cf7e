"""The formatter: one canonical layout for a policy source, comments kept.

`format_source` parses a policy and prints its AST back: four-space indents,
one declaration a line, prose wrapped at WIDTH inside triple-quoted blocks, a
single blank line wherever the author left one or more. Comments are not in
the AST, so they are found by a small scan of the text and put back before the
declaration that follows them (or at the end of the line they ended). What the
formatter prints parses to the same AST as its input, spans aside; the tests
check that on generated sources.
"""

from __future__ import annotations

import dataclasses
import decimal
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from compiler.diagnostics import Diagnostic
from compiler.syntax import nodes
from compiler.syntax.parse import parse, parse_tests
from compiler.syntax.unparse import expression, fact_type, quantifier, quote, table_keys

WIDTH = 88
INDENT = "    "


def format_source(text: str, file: str) -> tuple[str | None, list[Diagnostic]]:
    """The source in canonical layout, or None (with the diagnostics) when it does not parse."""
    tree, diagnostics = parse(text, file, legacy=True)  # the old syntax too: it is printed in the new
    if tree is None:
        return None, diagnostics
    return _Printer(_comments(text)).file(tree), diagnostics


def format_tests(text: str, file: str) -> tuple[str | None, list[Diagnostic]]:
    """A test file (X.tests) in canonical layout, comments kept, or None when it does not parse."""
    tree, diagnostics = parse_tests(text, file)
    if tree is None:
        return None, diagnostics
    return _Printer(_comments(text)).tests(tree), diagnostics


def shape(node: Any) -> Any:
    """A node without its spans, for comparing what two sources mean rather than where they say it."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (
            type(node).__name__,
            *(shape(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name != "span"),
        )
    if isinstance(node, (tuple, list)):
        return tuple(shape(item) for item in node)
    return node


# -- Comments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Comment:
    line: int
    text: str


_TOKEN = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|[^"#]+|"', re.MULTILINE)


def _comments(text: str) -> list[_Comment]:
    """Every `#` comment outside strings and text blocks, with its line."""
    found = []
    for match in _TOKEN.finditer(text):
        if match.group().startswith("#"):
            found.append(_Comment(text.count("\n", 0, match.start()) + 1, match.group().rstrip()))
    return found


# -- Printing ------------------------------------------------------------------------------------------


class _Printer:
    def __init__(self, comments: list[_Comment]) -> None:
        self.comments = comments
        self.lines: list[str] = []
        self.depth = 0
        self.last_end = 0  # the source line where the previous declaration of this block ended

    # -- Lines, blank lines and comments

    def emit(self, line: str) -> None:
        self.lines.append((INDENT * self.depth + line).rstrip() if line else "")

    def begin(self, node: nodes.Node) -> None:
        """Before a declaration: the comments before it, and blank lines where the author left them."""
        self.comments_before(node.span.line)
        self.gap(node.span.line)

    def comments_before(self, line: int) -> None:
        while self.comments and self.comments[0].line < line:
            comment = self.comments.pop(0)
            self.gap(comment.line)
            self.emit(comment.text)
            self.last_end = comment.line

    def gap(self, line: int) -> None:
        """One blank line if the source has any between what was printed last and `line`; none after `{`."""
        if line > self.last_end + 1 and self.lines and self.lines[-1] and not self.lines[-1].endswith("{"):
            self.emit("")

    def end(self, node: nodes.Node) -> None:
        """After a declaration: a comment on its last line stays at the end of that line."""
        self.last_end = node.span.end_line
        if self.comments and self.comments[0].line == node.span.end_line:
            self.lines[-1] += "  " + self.comments.pop(0).text

    def block(self, opening: str, node: nodes.Node, children: tuple[Any, ...], each: Any) -> None:
        """`opening {`, the children one a line (by `each`) one level in, then `}`."""
        self.emit(opening + " {")
        self.depth += 1
        self.last_end = node.span.line
        for child in children:
            self.begin(child)
            each(child)
            self.end(child)
        self.comments_before(node.span.end_line)
        self.depth -= 1
        self.emit("}")

    # -- Declarations

    def file(self, tree: nodes.PolicyFile) -> str:
        for item in tree.items:
            self.begin(item)
            self.item(item)
            self.end(item)
        self.comments_before(10**9)
        return "\n".join(self.lines).strip("\n") + "\n"

    def tests(self, tree: nodes.TestFile) -> str:
        for item in tree.items:
            self.begin(item)
            if isinstance(item, nodes.Request):
                self.block(f"request {item.name}", item, item.facts, self.test_fact)
            else:
                self.case(item)
            self.end(item)
        self.comments_before(10**9)
        return "\n".join(self.lines).strip("\n") + "\n"

    def case(self, case: nodes.Case) -> None:
        head = f"case {quote(case.title)}" + (f" from {case.base.name}" if case.base else "")
        head += f" expect {case.expect.name}" + (f" by {case.section.name}" if case.section else "")
        if case.missing is not None:
            head += " missing [" + ", ".join(name.name for name in case.missing) + "]"
        if case.terms is not None:  # `carries { ... }` on lines of its own, then the case's facts
            self.emit(head)
            self.emit("carries {")
            self.depth += 1
            for term in case.terms:
                self.example_fact(term)
            self.depth -= 1
            head = "}"
        self.block(head, case, case.facts, self.test_fact)

    def test_fact(self, fact: nodes.ExampleFact) -> None:
        """A fact of a test file: a list of records too long for one line gets a line per record."""
        line, value = f"{fact.name}: {json_text(fact.value)}", fact.value
        fits = len(INDENT * self.depth + line) <= WIDTH
        if fits or not isinstance(value, list) or not value or not all(isinstance(m, dict) for m in value):
            self.emit(line)
            return
        self.emit(f"{fact.name}: [")
        self.depth += 1
        for i, member in enumerate(value):
            self.emit(json_text(member) + ("," if i < len(value) - 1 else ""))
        self.depth -= 1
        self.emit("]")

    def item(self, item: nodes.Item) -> None:
        if isinstance(item, nodes.Policy):
            self.block(f"policy {quote(item.policy_id)}", item, item.meta, self.meta)
        elif isinstance(item, nodes.AppliesTo):
            head = f"applies_to {item.state_fact.name}, {item.date_fact.name} {quote(item.wording)}"
            self.block(head, item, item.jurisdictions, self.jurisdiction)
        elif isinstance(item, nodes.Fact):
            self.fact(item)
        elif isinstance(item, nodes.Computed):
            self.computed(item, "value ")
        elif isinstance(item, nodes.CodeSet):
            head = f"codeset {item.name} {item.system.name} {quote(item.title)}"
            self.block(head, item, item.entries, self.code_entry)
        elif isinstance(item, nodes.Outcome):
            self.emit(f"outcome {item.name} {quote(item.description)}")
            if item.advise:
                self.emit(INDENT + "advise " + ", ".join(ref.label for ref in item.advise))
            if item.carries:
                self.depth += 1
                self.block("carries", item, item.carries, lambda term: self.computed(term, ""))
                self.depth -= 1
        elif isinstance(item, nodes.Decide):
            self.decide(item)
        elif isinstance(item, nodes.Example):
            expect = f" expect {item.expect.name}" if item.expect else ""
            self.block(f"example {quote(item.title)}{expect}", item, item.facts, self.example_fact)
        elif isinstance(item, nodes.Interpretation):
            self.prose(item.text, "interpretation ", " about " + ", ".join(ref.label for ref in item.about))
        elif isinstance(item, nodes.Table):
            unit = f" unit {quote(item.unit)}" if item.unit is not None else ""
            head = f"table {item.name}{unit} {quote(item.source)} by {', '.join(k.name for k in item.keys)}"
            self.block(head, item, item.rows, lambda row: self.emit(f"{table_keys(row.keys)}: {row.value.text}"))
        else:
            self.block(f"section {item.label} {quote(item.title)}", item, item.items, self.section_item)

    def meta(self, meta: nodes.Meta) -> None:
        if isinstance(meta.value, nodes.DateLit):
            self.emit(f"{meta.key}: {meta.value.text}")
        else:
            self.prose(meta.value, f"{meta.key}: ")

    def jurisdiction(self, j: nodes.Jurisdiction) -> None:
        dates = [f" {kind} {d.text}" for kind, d in (("effective", j.effective), ("inactive", j.inactive)) if d]
        self.emit(f"{j.code} {quote(j.name)}" + "".join(dates))

    def fact(self, fact: nodes.Fact) -> None:
        lines = self.type_lines(f"fact {fact.name}: ", fact.type, " or absent" if fact.absent else "")
        for line in lines:
            self.emit(line)
        self.depth += 1
        self.prose(fact.description, "")
        self.depth -= 1

    def type_lines(self, head: str, t: nodes.FactType, tail: str) -> list[str]:
        """A fact type after `head`: on one line if it fits, else enum values or record fields a line each."""
        if isinstance(t, nodes.ListType):
            lines = [head + "list of {"]
            for f in t.fields:
                described = f" {quote(f.description)}," if f.description is not None else ","
                described = (" or absent" if f.absent else "") + described
                lines += [INDENT + line for line in self.type_lines(f"{f.name}: ", f.type, described)]
            return [*lines, "}" + tail]
        if isinstance(t, (nodes.EnumType, nodes.SetType)):
            keyword = "enum" if isinstance(t, nodes.EnumType) else "set of"
            values = [v.name + (f" {quote(v.label)}" if v.label is not None else "") for v in t.values]
            flat = f"{head}{keyword} {{ {', '.join(values)} }}{tail}"
            if len(INDENT * self.depth + flat) <= WIDTH:
                return [flat]
            return [f"{head}{keyword} {{", *(INDENT + value + "," for value in values), "}" + tail]
        return [head + fact_type(t) + tail]

    def code_entry(self, entry: nodes.CodeEntry) -> None:
        self.emit(quote(entry.code) + (f": {quote(entry.label)}" if entry.label is not None else ""))

    def decide(self, decide: nodes.Decide) -> None:
        lines: list[tuple[nodes.Node, str]] = [
            (r, f"{r.outcome.name} when {expression(r.condition)}") for r in decide.rules
        ]
        if decide.otherwise is not None:
            basis = f" by {decide.otherwise.basis.label}" if decide.otherwise.basis else ""
            lines.append((decide.otherwise, f"otherwise {decide.otherwise.outcome.name}{basis}"))
        lines.append((decide.unknown, f"unknown {decide.unknown.name}"))
        text = dict((id(node), line) for node, line in lines)
        head = "decide"
        if decide.in_force is not None:
            period = decide.in_force
            head += f" on {period.date_fact.name}"
            head += f" from {period.start.text}" if period.start else ""
            head += f" before {period.end.text}" if period.end else ""
        self.block(head, decide, tuple(node for node, _ in lines), lambda node: self.emit(text[id(node)]))

    def example_fact(self, fact: nodes.ExampleFact) -> None:
        self.emit(f"{fact.name}: {json_text(fact.value)}")

    def section_item(self, item: nodes.SectionItem) -> None:
        if isinstance(item, nodes.Prose):
            self.prose(item, "")
        elif isinstance(item, nodes.Term):
            self.term(item)
        elif isinstance(item, nodes.Provision):
            self.provision(item)
        elif isinstance(item, nodes.Revision):
            parts = ["revision", item.kind]
            parts += [item.date.text] if item.date else []
            self.emit(" ".join(parts) + (f": {quote(item.action)}" if item.action is not None else ""))
        else:
            self.emit(f"reference {quote(item.citation)}")
            for key, value in (("doi", item.doi), ("url", item.url)):
                if value is not None:
                    self.emit(f"{INDENT}{key} {quote(value)}")

    def term(self, term: nodes.Term) -> None:
        self.prose(term.text, f"term {quote(term.name)} ", " {" if term.terms else "")
        if term.terms:
            self.depth += 1
            self.last_end = term.text.span.end_line
            for child in term.terms:
                self.begin(child)
                self.term(child)
                self.end(child)
            self.comments_before(term.span.end_line)
            self.depth -= 1
            self.emit("}")

    def provision(self, p: nodes.Provision) -> None:
        cited_as = f" as {quote(p.cited_as)}" if p.cited_as is not None else ""
        self.emit(f"{p.kind} {p.label}{cited_as} {quote(p.wording)}")
        body = p.body
        if isinstance(body, nodes.Condition):
            for line in self.condition_lines(f"{INDENT}when ", body.expr, INDENT):
                self.emit(line)
            if body.wording_differs is not None:
                self.emit(f"{INDENT}wording differs {quote(body.wording_differs)}")
        elif isinstance(body, nodes.Clarifies):
            self.emit(f"{INDENT}clarifies {body.section.label} reads {', '.join(n.name for n in body.facts)}")
        elif isinstance(body, nodes.Group):
            q = body.quantifier
            self.block(quantifier(q.kind, q.count or 0), body, body.provisions, self.provision)

    def computed(self, item: nodes.Computed, keyword: str) -> None:
        """A computed value, or a term an outcome carries: its formula, then its meaning."""
        unit = f" unit {quote(item.unit)}" if item.unit is not None else ""
        for line in self.condition_lines(f"{keyword}{item.name}{unit} = ", item.expr):
            self.emit(line)
        self.depth += 1
        self.prose(item.description, "")
        self.depth -= 1

    def condition_lines(self, prefix: str, expr: nodes.Expr, indent: str = "") -> list[str]:
        """`prefix` and a condition or value, broken where it is too wide: `and` and `or` a line
        each, and a quantifier's or aggregate's own condition on lines of its own, in brackets."""
        return _broken(prefix, expr, "", indent, WIDTH - len(INDENT) * self.depth)

    # -- Prose: one paragraph that fits is a string; anything longer, a text block

    def prose(self, prose: nodes.Prose, head: str, tail: str = "") -> None:
        paragraphs = prose.paragraphs
        one = len(paragraphs) == 1
        flat = f"{head}{quote(paragraphs[0])}{tail}" if one else ""
        if one and (len(INDENT * self.depth + flat) <= WIDTH or not _foldable(paragraphs[0])):
            self.emit(flat)
            return
        self.emit(f'{head}"""')
        width = WIDTH - len(INDENT) * (self.depth + 1)
        for i, paragraph in enumerate(paragraphs):
            if i:
                self.emit("")
            for line in textwrap.wrap(paragraph, width, break_long_words=False, break_on_hyphens=False):
                self.emit(INDENT + line)
        self.emit(f'"""{tail}')


def _foldable(paragraph: str) -> bool:
    """Whether a text block gives back exactly this paragraph: single spaces, nothing a block cannot hold."""
    return bool(paragraph) and " ".join(paragraph.split()) == paragraph and '"""' not in paragraph


def _broken(prefix: str, expr: nodes.Expr, suffix: str, indent: str, width: int) -> list[str]:
    """Lines for `prefix + expr + suffix`, each after the first starting `indent` plus one step deeper."""
    flat = prefix + expression(expr) + suffix
    inner = indent + INDENT
    if len(flat) <= width:
        return [flat]
    if isinstance(expr, nodes.Conjunction | nodes.Disjunction):
        op = "and" if isinstance(expr, nodes.Conjunction) else "or"
        kinds = (nodes.Disjunction, nodes.Conjunction) if op == "and" else (nodes.Disjunction,)
        lines: list[str] = []
        for i, operand in enumerate(expr.operands):
            head = prefix if i == 0 else f"{inner}{op} "
            bracketed = isinstance(operand, kinds)
            lines += _broken(head + "(" * bracketed, operand, ")" * bracketed, inner, width)
        lines[-1] += suffix
        return lines
    if isinstance(expr, nodes.RecordsQuantified | nodes.RecordsAggregate) and isinstance(
        expr.where, nodes.Conjunction | nodes.Disjunction
    ):
        head, _, rest = flat[len(prefix) :].partition(" such that (")
        tail = ")" + rest[len(expression(expr.where)) + 1 :]  # what follows the condition: `)) else x < 3`
        return [f"{prefix}{head} such that (", *_broken(inner, expr.where, "", inner, width), indent + tail]
    if isinstance(expr, nodes.Choice):  # the value, then `when ...` and `otherwise ...` a line each, a chain flat
        lines = _broken(prefix, expr.then, "", indent, width)
        choice: nodes.Expr = expr
        while isinstance(choice, nodes.Choice):
            lines += _broken(f"{inner}when ", choice.condition, "", inner, width)
            chosen = choice.otherwise
            value = chosen.then if isinstance(chosen, nodes.Choice) else chosen
            lines += _broken(f"{inner}otherwise ", value, "" if value is not chosen else suffix, inner, width)
            choice = chosen
        return lines
    if isinstance(expr, nodes.Comparison) and isinstance(expr.left, nodes.RecordsAggregate):
        return _broken(prefix, expr.left, f" {expr.op} {expression(expr.right)}{suffix}", indent, width)
    return [flat]


def json_text(value: nodes.JsonValue) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, decimal.Decimal):
        return str(value)
    return quote(value) if isinstance(value, str) else str(value)


