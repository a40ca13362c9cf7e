"""The one printer of policy syntax: syntax nodes and checked expressions back to the language.

`policyc fmt` writes syntax nodes as the author wrote them (`expression`); `policyc diff`
and the checker write checked expressions (`condition`), which the checker has normalised
(the fact on the left, a computed value by its formula). Both spell every construct the same
way, with brackets only where the grammar needs them.
"""

from __future__ import annotations

from typing import assert_never

from compiler import model
from compiler.syntax import nodes


def quote(text: str) -> str:
    """A string literal of the language for `text`."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def quantifier(kind: str, count: int) -> str:
    """`all of`, `any of`, `at least 2 of`."""
    return f"at least {count} of" if kind == "at_least" else f"{kind} of"


# -- Syntax nodes ---------------------------------------------------------------------------------


OneLineType = (
    nodes.BooleanType | nodes.IntegerType | nodes.DecimalType | nodes.DateType | nodes.StringType | nodes.CodeType
)


def table_keys(keys: tuple[nodes.TableKey, ...]) -> str:
    """A table row's keys: `colonoscopy, else`, `18..64, female`."""
    return ", ".join("else" if k is None else k if isinstance(k, str) else f"{k[0]}..{k[1]}" for k in keys)


def fact_type(t: OneLineType) -> str:
    """A fact type on one line; an enum or a set is written by `fact`, which may break its values."""
    if isinstance(t, nodes.IntegerType):
        return f"integer {t.low}..{t.high}" + (f" unit {quote(t.unit)}" if t.unit is not None else "")
    if isinstance(t, nodes.DecimalType):
        return f"decimal {t.low.text}..{t.high.text}" + (f" unit {quote(t.unit)}" if t.unit is not None else "")
    if isinstance(t, nodes.CodeType):
        return f"{'codes' if t.multiple else 'code'} {t.system.name}"
    if isinstance(t, nodes.StringType):
        return "string" + (f" matching {quote(t.pattern)}" if t.pattern is not None else "")
    if isinstance(t, nodes.BooleanType):
        return "boolean"
    if isinstance(t, nodes.DateType):
        return "date"
    assert_never(t)



def expression(expr: nodes.Expr) -> str:
    if isinstance(expr, nodes.Disjunction):
        return " or ".join(_bracketed(o, nodes.Disjunction) for o in expr.operands)
    if isinstance(expr, nodes.Conjunction):
        return " and ".join(_bracketed(o, nodes.Disjunction, nodes.Conjunction) for o in expr.operands)
    if isinstance(expr, nodes.Negation):
        inner = expr.operand
        if isinstance(inner, nodes.Membership):  # the grammar's own spelling of these negations
            return f"{expression(inner.element)} not in {expression(inner.collection)}"
        if isinstance(inner, nodes.Emptiness):
            return f"{expression(inner.operand)} is not empty"
        if isinstance(inner, nodes.Knownness):
            return f"{expression(inner.operand)} is not known"
        if isinstance(inner, nodes.Presence):
            return f"{expression(inner.operand)} is absent"
        return "not " + _bracketed(inner, nodes.Disjunction, nodes.Conjunction)
    if isinstance(expr, nodes.Comparison):
        return f"{_term(expr.left)} {expr.op} {_term(expr.right)}"
    if isinstance(expr, nodes.Intersection):
        return f"{_term(expr.left)} intersects {_term(expr.right)}"
    if isinstance(expr, nodes.Arithmetic):
        # Operators group to the left: the right operand of the same precedence keeps its brackets.
        left = ("+", "-") if expr.op in "*/" else ()
        right = ("+", "-") if expr.op in "+-" else ("+", "-", "*", "/")
        return f"{_term(expr.left, left)} {expr.op} {_term(expr.right, right)}"
    if isinstance(expr, nodes.Call):
        return f"{expr.function.name}(" + ", ".join(expression(a) for a in expr.arguments) + ")"
    if isinstance(expr, nodes.DecimalLit):
        return expr.text
    if isinstance(expr, nodes.DurationLit):  # `1 month`, `2 months`
        return f"{expr.amount} {expr.unit.removesuffix('s') if expr.amount == 1 else expr.unit}"
    if isinstance(expr, nodes.Membership):
        return f"{expression(expr.element)} in {expression(expr.collection)}"
    if isinstance(expr, nodes.Emptiness):
        return f"{expression(expr.operand)} is empty"
    if isinstance(expr, nodes.Knownness):
        return f"{expression(expr.operand)} is known"
    if isinstance(expr, nodes.Presence):
        return f"{expression(expr.operand)} is present"
    if isinstance(expr, nodes.Quantified):
        q = expr.quantifier
        return f"{quantifier(q.kind, q.count or 0)} (" + ", ".join(expression(o) for o in expr.operands) + ")"
    if isinstance(expr, nodes.RecordsQuantified):
        head = "at least" if expr.kind == "at_least" else expr.kind
        if expr.kind == "at_least":
            head += f" {expr.count}" + (f" distinct {expression(expr.distinct)} for" if expr.distinct else "")
        return f"{head} {_binding(expr.binding)} such that {_condition(expr.where)}"
    if isinstance(expr, nodes.RecordsAggregate):
        value = "" if expr.value is None else f"{expression(expr.value)} for "
        where = "" if expr.where is None else f" such that {_condition(expr.where)}"
        fallback = "" if expr.fallback is None else f" else {_term(expr.fallback, ('+', '-', '*', '/'))}"
        return f"{expr.function.name}({value}{_binding(expr.binding)}{where}){fallback}"
    if isinstance(expr, nodes.Choice):
        return f"{expression(expr.then)} when {expression(expr.condition)} otherwise {expression(expr.otherwise)}"
    if isinstance(expr, nodes.SetLit):
        return "{" + ", ".join(expression(i) for i in expr.items) + "}"
    if isinstance(expr, nodes.Name):
        return expr.name
    if isinstance(expr, nodes.SectionRef):
        return expr.label
    if isinstance(expr, nodes.StrLit):
        return quote(expr.value)
    if isinstance(expr, nodes.DateLit):
        return expr.text
    if isinstance(expr, nodes.BoolLit):
        return "true" if expr.value else "false"
    return str(expr.value)


def _condition(expr: nodes.Expr) -> str:
    """What follows `such that`: a condition of `and` or `or` in brackets, where the grammar needs them."""
    return _bracketed(expr, nodes.Disjunction, nodes.Conjunction)


def _binding(binding: nodes.Binding) -> str:
    return f"{binding.record} in {binding.records.name}"


def _term(expr: nodes.Expr, arithmetic: tuple[str, ...] = ()) -> str:
    """An operand of a comparison or of arithmetic: a condition in brackets, and arithmetic of the given operators."""
    if isinstance(expr, nodes.Arithmetic) and expr.op in arithmetic:
        return f"({expression(expr)})"
    conditions = (nodes.Disjunction, nodes.Conjunction, nodes.Negation, nodes.Comparison, nodes.Membership)
    tests = (
        nodes.Intersection,
        nodes.Emptiness,
        nodes.Knownness,
        nodes.Presence,
        nodes.Quantified,
        nodes.RecordsQuantified,
    )
    return _bracketed(expr, *conditions, *tests)


def _bracketed(expr: nodes.Expr, *kinds: type) -> str:
    return f"({expression(expr)})" if isinstance(expr, kinds) else expression(expr)


# -- Checked expressions --------------------------------------------------------------------------


def model_type(t: model.FactType) -> str:
    """A checked fact type in the language's syntax: `integer 0..120 unit "years"`."""
    unit = f" unit {quote(t.unit)}" if isinstance(t, model.Integer | model.Decimal) and t.unit else ""
    if isinstance(t, model.Integer):
        return f"integer {t.low}..{t.high}{unit}"
    if isinstance(t, model.Decimal):
        return f"decimal {t.low}..{t.high}{unit}"
    if isinstance(t, model.Code | model.Codes):
        return f"{t.kind} {t.system}"
    if isinstance(t, model.Enum):
        return "enum { " + ", ".join(t.values) + " }"
    if isinstance(t, model.EnumSet):
        return "set of { " + ", ".join(t.values) + " }"
    if isinstance(t, model.String):
        return f"string matching {quote(t.pattern)}" if t.pattern else "string"
    if isinstance(t, model.Boolean | model.Date):
        return t.kind
    if isinstance(t, model.RecordList):
        fields = (f"{f.name}: {model_type(f.type)}" + (" or absent" if f.absent else "") for f in t.fields)
        return "list of { " + ", ".join(fields) + " }"
    assert_never(t)


def condition(expr: model.Expr | model.Operand) -> str:
    """A checked condition or value in the language's syntax: `eckardt_score >= 3`."""
    return _Condition().visit(expr)


class _Condition(model.ExprVisitor[str]):
    def visit_FactRef(self, node: model.FactRef) -> str:
        return node.fact

    def visit_CodeSetRef(self, node: model.CodeSetRef) -> str:
        return node.name

    def visit_ProvisionRef(self, node: model.ProvisionRef) -> str:
        return node.label

    def visit_ValueRef(self, node: model.ValueRef) -> str:  # by its formula: a changed formula is a changed condition
        return self.visit(node.operand)

    def visit_Const(self, node: model.Const) -> str:
        return constant(node.value)

    def visit_Arith(self, node: model.Arith) -> str:
        return f"({self.visit(node.left)} {node.op} {self.visit(node.right)})"

    def visit_Shift(self, node: model.Shift) -> str:
        sign = "+" if node.amount >= 0 else "-"
        times = "" if node.count is None else f"({self.visit(node.count)}) * "
        return f"{self.visit(node.date)} {sign} {times}{abs(node.amount)} {node.unit}"

    def visit_Call(self, node: model.Call) -> str:
        return f"{node.function}(" + ", ".join(self.visit(a) for a in node.arguments) + ")"

    def visit_Compare(self, node: model.Compare) -> str:
        return f"{self.visit(node.left)} {node.op} {self.visit(node.right)}"

    def visit_Member(self, node: model.Member) -> str:
        return f"{self.visit(node.element)} in {self.visit(node.collection)}"

    def visit_Intersects(self, node: model.Intersects) -> str:
        return f"{self.visit(node.left)} intersects {self.visit(node.right)}"

    def visit_Empty(self, node: model.Empty) -> str:
        return f"{self.visit(node.operand)} is empty"

    def visit_Known(self, node: model.Known) -> str:
        return f"{node.name} is known"

    def visit_Present(self, node: model.Present) -> str:
        return f"{node.name} is present"

    def visit_Not(self, node: model.Not) -> str:
        if isinstance(node.operand, model.Present):
            return f"{node.operand.name} is absent"
        inner = self.visit(node.operand)
        return f"not {inner}" if isinstance(node.operand, model.FactRef | model.ProvisionRef) else f"not ({inner})"

    def visit_Combine(self, node: model.Combine) -> str:
        return f"{quantifier(node.kind, node.count)} (" + ", ".join(self.visit(o) for o in node.operands) + ")"

    def visit_FieldRef(self, node: model.FieldRef) -> str:
        return node.dotted

    def visit_Choice(self, node: model.Choice) -> str:
        return f"({self.visit(node.then)} when {self.visit(node.condition)} otherwise {self.visit(node.otherwise)})"

    def visit_Lookup(self, node: model.Lookup) -> str:  # with its rows: a changed row is a changed condition
        rows = "; ".join(f"{table_keys(keys)}: {constant(c.value)}" for keys, c in node.rows)
        return f"{node.table}[{', '.join(k.fact for k in node.keys)}]{{{rows}}}"

    def visit_Quantify(self, node: model.Quantify) -> str:
        head = node.kind if node.kind != "at_least" else f"at least {node.count}"
        if node.distinct is not None:
            head += f" distinct {self.visit(node.distinct)} for"
        return f"({head} {self.records(node.records)})"

    def visit_Aggregate(self, node: model.Aggregate) -> str:
        value = "" if node.value is None else f"{self.visit(node.value)} for "
        fallback = "" if node.fallback is None else f" else ({self.visit(node.fallback)})"
        return f"{node.function}({value}{self.records(node.records)}){fallback}"

    def records(self, records: model.Records) -> str:
        where = "" if records.where is None else f" such that ({self.visit(records.where)})"
        return f"{records.record} in {records.fact}{where}"


def constant(value: model.Value) -> str:
    """A constant in the language's syntax: `true`, `"text"`, `{a, b}`, `2025-11-01`, `35.5`."""
    if isinstance(value, tuple):
        return "{" + ", ".join(constant(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    return str(value)
