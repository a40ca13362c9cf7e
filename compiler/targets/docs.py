"""The docs target: `model.Policy` -> a Markdown page of the mkdocs site, for clinical reviewers.

The page follows the statement's own sections and labels. Section D is
rendered from the compiled provisions, each condition spelled out with links
into the fact dictionary; the order of decision is an SVG drawn here; the
"Calling this evaluator" example is produced by running the generated
evaluator, so it cannot go stale. Policy text is escaped for Markdown and
HTML (`md`), so it always renders as text.
"""

from __future__ import annotations

import datetime
import re
from pathlib import PurePosixPath
from typing import Any, assert_never

import compiler
from compiler import contract, jsontext, model
from compiler.contract import Shape
from compiler.targets import diagram, shared
from compiler.targets.shared import Built, Files
from compiler.targets.templating import TEMPLATES

ROOT = PurePosixPath("policies")


def emit(policy: model.Policy, built: Built) -> Files:
    """The page, and beside it the schemas it links to, as the schema target made them."""
    evaluator = built["python"][shared.evaluator_path(policy.policy_id)]
    schemas = {ROOT / path.name: text for path, text in built["schema"].items()}
    return {ROOT / f"{policy.policy_id}.md": render(policy, evaluator), **schemas}


def emit_index(policies: list[model.Policy]) -> dict[PurePosixPath, str]:
    template = TEMPLATES.get_template("index.md.j2")
    ordered = sorted(policies, key=lambda p: p.policy_id)
    return {ROOT / "index.md": template.render(policies=ordered, version=compiler.__version__, md=md, dict=dict)}


# Characters that make Markdown anywhere in a line: code, links and images, emphasis, HTML,
# table cells, attribute lists and admonitions (`!!!`).
_MARKDOWN_ACTIVE = re.compile(r"([\\`\[\]|#<>&*_!{}])")
# What makes a block at the start of a line: a list item (`-`, `+`, `1.`, `1)`), a rule or a heading.
_BLOCK_START = re.compile(r"^([0-9]*)([-+=.)])")


def md(text: str) -> str:
    """Policy text as Markdown that renders as the same text: no HTML, links, code, emphasis or blocks."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(1)
        return {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(char, "\\" + char)

    return _MARKDOWN_ACTIVE.sub(escape, " ".join(text.split()))


def md_block(text: str) -> str:
    """`md(text)` for the start of a line, where `-`, `1.` or `---` would also begin a list or a rule."""
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), md(text))


def code(text: str) -> str:
    """Text as an inline code span that no backtick in it can close (a run of more backticks around it)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    return f"{ticks} {text} {ticks}" if longest else f"{ticks}{text}{ticks}"


def fence(text: str) -> str:
    """A code fence longer than any run of backticks in `text`, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def fact_link(name: str) -> str:
    return f"[`{name}`](#fact-{name})"


_ARITH = {"+": "+", "-": "−", "*": "×", "/": "÷"}
_OPS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def describe(expr: model.Expr | model.Operand) -> str:
    """A condition in words, facts linked to the dictionary."""
    return _Words().visit(expr)


class _Words(model.ExprVisitor[str]):
    def visit_FactRef(self, node: model.FactRef) -> str:
        return fact_link(node.fact)

    def visit_Const(self, node: model.Const) -> str:
        return _constant(node.value)

    def visit_ProvisionRef(self, node: model.ProvisionRef) -> str:
        return f"**{node.label}**"

    def visit_Compare(self, node: model.Compare) -> str:
        return f"{self.visit(node.left)} {md(_OPS[node.op])} {self.visit(node.right)}"

    def visit_Member(self, node: model.Member) -> str:
        if isinstance(node.collection, (model.FactRef, model.CodeSetRef)):
            return f"{self.visit(node.element)} is in {self.visit(node.collection)}"
        return f"{self.visit(node.element)} is one of {self.visit(node.collection)}"

    def visit_Intersects(self, node: model.Intersects) -> str:
        return f"{self.visit(node.left)} includes one of {self.visit(node.right)}"

    def visit_CodeSetRef(self, node: model.CodeSetRef) -> str:
        return f"the code set [`{node.name}`](#codes-{node.name})"

    def visit_ValueRef(self, node: model.ValueRef) -> str:
        return f"[`{node.name}`](#value-{node.name})"

    def visit_Arith(self, node: model.Arith) -> str:
        return f"({self.visit(node.left)} {md(_ARITH[node.op])} {self.visit(node.right)})"

    def visit_Shift(self, node: model.Shift) -> str:
        amount, unit = abs(node.amount), str(node.unit)
        if unit == "days" and amount % 7 == 0 and amount:
            amount, unit = amount // 7, "weeks"
        if unit == "months" and amount % 12 == 0 and amount:
            amount, unit = amount // 12, "years"
        by = f"{amount} {unit}" if node.count is None else f"{self.visit(node.count)} {unit}"
        if node.count is not None and amount != 1:
            by = f"{amount} × {self.visit(node.count)} {unit}"
        return f"{self.visit(node.date)} {'+' if node.amount >= 0 else '−'} {by}"

    def visit_Call(self, node: model.Call) -> str:
        if node.function == "count":
            return f"the number of {self.visit(node.arguments[0])}"
        if node.function == "month_start":
            return f"the first day of the month of {self.visit(node.arguments[0])}"
        if node.function == "calendar_months_between":
            start, end = (self.visit(a) for a in node.arguments)
            return f"months from the month of {start} to that of {end}"
        unit = node.function.removesuffix("_between")
        return f"whole {unit} from {self.visit(node.arguments[0])} to {self.visit(node.arguments[1])}"

    def visit_Empty(self, node: model.Empty) -> str:
        return f"{self.visit(node.operand)} is empty"

    def visit_Known(self, node: model.Known) -> str:
        return f"{self.visit(node.operand)} is known"

    def visit_Present(self, node: model.Present) -> str:
        return f"{self.visit(node.operand)} is present"

    def visit_Not(self, node: model.Not) -> str:
        if isinstance(node.operand, model.Present):
            return f"{self.visit(node.operand.operand)} is absent"
        operand = self.visit(node.operand)
        simple = isinstance(node.operand, (model.FactRef, model.ProvisionRef))
        return f"not {operand}" if simple else f"not ({operand})"

    def visit_Choice(self, node: model.Choice) -> str:
        return f"{self.visit(node.then)} when {self.visit(node.condition)}, otherwise {self.visit(node.otherwise)}"

    def visit_Lookup(self, node: model.Lookup) -> str:
        return f"[`{node.table}`](#value-{node.table}) of {' and '.join(fact_link(k.fact) for k in node.keys)}"

    def visit_FieldRef(self, node: model.FieldRef) -> str:
        return f"`{node.dotted}`"

    def visit_Quantify(self, node: model.Quantify) -> str:
        head = {"any": "some", "every": "every", "no": "no"}.get(node.kind, f"at least {node.count}")
        if node.distinct is not None:
            head += f" distinct values of {self.visit(node.distinct)}, over"
        return f"{head} {self.records(node.records)}"

    def visit_Aggregate(self, node: model.Aggregate) -> str:
        value = "" if node.value is None else f"{self.visit(node.value)} over "
        words = {"count": "the number of", "sum": "the sum of", "min": "the least", "max": "the greatest"}
        head = words.get(node.function, f"the {node.function} (by `{node.order}`)")
        fallback = "" if node.fallback is None else f", or {self.visit(node.fallback)} when there is none"
        return f"({head} {value}{self.records(node.records)}{fallback})"

    def records(self, records: model.Records) -> str:
        where = "" if records.where is None else f" such that {self.visit(records.where)}"
        return f"`{records.record}` in {fact_link(records.fact)}{where}"

    def visit_Combine(self, node: model.Combine) -> str:
        parts = [self.visit(o) for o in node.operands]
        if node.kind == "all":
            return " and ".join(f"({p})" if " or " in p else p for p in parts)
        if node.kind == "any":
            return " or ".join(f"({p})" if " and " in p else p for p in parts)
        return f"at least {node.count} of: " + "; ".join(parts)


def _constant(value: model.Value) -> str:
    if isinstance(value, tuple):
        return "{" + ", ".join(_constant(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return f"`{value}`" if re.fullmatch(r"[\w.-]+", value) else md(repr(value))
    return str(value)


def type_of(field: contract.Field) -> tuple[str, str]:
    """A fact's type and its allowed values, for the dictionary table; "or absent" when a request may say so."""
    kind, values = _kind_of(field)
    return (f"{kind} or absent", values) if field.absent else (kind, values)


def _kind_of(field: contract.Field) -> tuple[str, str]:
    shape, unit = field.shape, f" {md(field.unit)}" if field.unit else ""
    if shape is Shape.BOOLEAN:
        return "boolean", "true, false"
    if shape is Shape.INTEGER:
        return "integer", f"{field.minimum} to {field.maximum}{unit}"
    if shape is Shape.DECIMAL:
        return "decimal", f"{field.minimum:g} to {field.maximum:g}{unit}"
    if shape is Shape.CODE or shape is Shape.CODES:
        kind = "code" if shape is Shape.CODE else "list of codes (may be empty)"
        return kind, md(field.code_description or "")
    if shape is Shape.ENUM or shape is Shape.SET:
        values = "<br>".join(
            f"`{v}`" + (f": {md(label)}" if label else "") for v, label in zip(field.values, field.labels, strict=True)
        )
        return ("one of" if shape is Shape.ENUM else "set of (may be empty)"), values
    if shape is Shape.DATE:
        return "date", "YYYY-MM-DD"
    if shape is Shape.STRING:
        return "string", f"matching {code(field.pattern)}" if field.pattern else "any text"
    if shape is Shape.RECORDS:  # each field: its name, kind, values and meaning
        rows = []
        for f in field.fields:
            kind, values = type_of(f)
            values = values.replace("<br>", ", ")
            meaning = f": {md(f.description)}" if f.description else ""
            rows.append(f"`{f.name}` ({kind}{', ' + values if values else ''}){meaning}")
        return "list of records (may be empty)", "<br>".join(rows)
    assert_never(shape)


def _example_run(policy: model.Policy, text: str) -> list[dict[str, Any]]:
    """Each example decided by the generated evaluator itself, from its text."""
    name = shared.module_name(policy.policy_id)
    evaluator = shared.load(text, name, f"<policyc:{policy.source_name}>")
    runs = []
    for example in policy.examples:
        decision = evaluator.evaluate(example.request)
        runs.append(
            {
                "title": example.title,
                "outcome": decision.outcome,
                "section": ", ".join(decision.sections),
                "request": jsontext.dumps(example.request, indent=2),
                "decision": jsontext.dumps(decision.to_dict(), indent=2),
                "explain": evaluator.explain(decision),
            }
        )
    return runs


def render(policy: model.Policy, evaluator: str) -> str:
    """The page; `evaluator` is the text of the policy's evaluator, which decides its examples."""
    template = TEMPLATES.get_template("policy.md.j2")
    return template.render(
        policy=policy,
        version=compiler.__version__,
        meta=dict(policy.meta),
        module=shared.module_name(policy.policy_id),
        md=md,
        md_block=md_block,
        fence=fence,
        describe=describe,
        fact_links=lambda names: ", ".join(fact_link(n) for n in names),
        type_of=lambda fact: type_of(contract.field(fact)),
        diagrams=[diagram.render(policy, revision) for revision in policy.revisions],
        examples=_example_run(policy, evaluator),
        model=model,
        advised_by=lambda label: ", ".join(f"`{o.name}`" for o in policy.outcomes if label in o.advisories),
        provisions={p.label: p for p in policy.provisions},
        interpreted={
            p.label: [n for n, i in enumerate(policy.interpretations, 1) if p.label in i.sections]
            for p in policy.provisions
        },
        quantifier={"all": "all of the following", "any": "any of the following"},
        carried=carried,
    )


def carried(outcome: model.Outcome) -> str:
    """The terms an outcome carries, for its row: `period_days` (days) = 180: The approval period."""
    return "<br>".join(
        f"`{t.name}`" + (f" ({md(t.unit)})" if t.unit else "") + f" = {describe(t.operand)}: {md(t.description)}"
        for t in outcome.terms
    )
