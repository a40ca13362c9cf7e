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
    if isinstance(expr, model.FactRef):
        return fact_link(expr.fact)
    if isinstance(expr, model.Const):
        return _constant(expr.value)
    if isinstance(expr, model.ProvisionRef):
        return f"**{expr.label}**"
    if isinstance(expr, model.Compare):
        return f"{describe(expr.left)} {md(_OPS[expr.op])} {describe(expr.right)}"
    if isinstance(expr, model.Member):
        if isinstance(expr.collection, (model.FactRef, model.CodeSetRef)):
            return f"{describe(expr.element)} is in {describe(expr.collection)}"
        return f"{describe(expr.element)} is one of {describe(expr.collection)}"
    if isinstance(expr, model.Intersects):
        return f"{describe(expr.left)} includes one of {describe(expr.right)}"
    if isinstance(expr, model.CodeSetRef):
        return f"the code set [`{expr.name}`](#codes-{expr.name})"
    if isinstance(expr, model.ValueRef):
        return f"[`{expr.name}`](#value-{expr.name})"
    if isinstance(expr, model.Arith):
        return f"({describe(expr.left)} {md(_ARITH[expr.op])} {describe(expr.right)})"
    if isinstance(expr, model.Shift):
        amount, unit = abs(expr.amount), str(expr.unit)
        if unit == "days" and amount % 7 == 0 and amount:
            amount, unit = amount // 7, "weeks"
        return f"{describe(expr.date)} {'+' if expr.amount >= 0 else '−'} {amount} {unit}"
    if isinstance(expr, model.Call):
        if expr.function == "count":
            return f"the number of {describe(expr.arguments[0])}"
        unit = expr.function.removesuffix("_between")
        return f"whole {unit} from {describe(expr.arguments[0])} to {describe(expr.arguments[1])}"
    if isinstance(expr, model.Empty):
        return f"{describe(expr.operand)} is empty"
    if isinstance(expr, model.Not):
        operand = describe(expr.operand)
        simple = isinstance(expr.operand, (model.FactRef, model.ProvisionRef))
        return f"not {operand}" if simple else f"not ({operand})"
    if isinstance(expr, model.Combine):
        parts = [describe(o) for o in expr.operands]
        if expr.kind == "all":
            return " and ".join(f"({p})" if " or " in p else p for p in parts)
        if expr.kind == "any":
            return " or ".join(f"({p})" if " and " in p else p for p in parts)
        return f"at least {expr.count} of: " + "; ".join(parts)
    raise TypeError(f"unhandled expression {type(expr).__name__}")


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
    """A fact's type and its allowed values, for the dictionary table."""
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
        quantifier={"all": "all of the following", "any": "any of the following"},
    )
