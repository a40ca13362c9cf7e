"""The Python target: `model.Policy` -> one standard-library-only evaluator module.

The template `templates/evaluator.py.j2` holds the shape of the module, and
`compiler/runtime` the code every evaluator runs (copied in part by part, so the
module needs only the standard library); this file computes what goes in it: one
function per provision for its Kleene value and one for the facts that leave it
unknown, and the order of decision as straight-line code. Every string from the policy reaches the module through
`repr()`, so no policy text can become code.
"""

from __future__ import annotations

import datetime
import decimal
import io
import itertools
import re
import tokenize
import types
from dataclasses import dataclass
from typing import assert_never

import compiler
from compiler import contract, model, runtime
from compiler.contract import Shape
from compiler.targets import shared
from compiler.targets.shared import Built, Files, module_name
from compiler.targets.templating import TEMPLATES, WIDTH, doc_line, literal


def load_module(policy: model.Policy) -> types.ModuleType:
    """Render a policy's evaluator and load it as a module, as `import` would."""
    return shared.load(render(policy), module_name(policy.policy_id), f"<policyc:{policy.source_name}>")


def emit(policy: model.Policy, built: Built) -> Files:
    return {shared.evaluator_path(policy.policy_id): render(policy)}


def render(policy: model.Policy) -> str:
    emitter = _Emitter(policy)
    template = TEMPLATES.get_template("evaluator.py.j2")
    facts = [_FactView.of(field) for field in contract.request(policy)]
    evaluated: list[tuple[str, ...]] = []
    revisions: list[_RevisionView] = []
    for revision in policy.revisions:
        listed: list[str] = []
        for rule in revision.rules:
            listed += [p.label for p in policy.subtree(rule.section)]
            evaluated.append(tuple(listed))
        revisions.append(emitter.revision(revision, len(evaluated) - len(revision.rules)))
    tables = [f.values_name for f in facts if f.values is not None]
    values = [emitter.computed_value(c) for c in policy.computed]
    quotients = any(v.annotation == "Decimal | Fraction" for v in values)
    features = {f.type.kind for f in policy.facts} | emitter.helpers
    features |= {"decimals"} if emitter.decimals else set()
    features |= {"quotients"} if quotients else set()
    return template.render(
        policy=policy,
        version=compiler.__version__,
        facts=facts,
        evaluated=evaluated,
        enum_tables=literal(tuple(tables)).replace("'", ""),  # a tuple of names, wrapped to fit
        kinds=sorted({f.type.kind for f in policy.facts}),
        provisions=[emitter.provision(p) for p in policy.provisions if p.condition is not None],
        explained=[p for p in policy.provisions if p.condition is not None],
        clarifications=[p for p in policy.provisions if p.kind == "clarification"],
        revisions=revisions,
        effective_type="str" if all(r.start or len(revisions) == 1 for r in policy.revisions) else "str | None",
        values=values,
        quotients=quotients,
        decimals=sorted(emitter.decimals),
        decimal_name=_decimal_name,
        dates=sorted(emitter.dates),
        constants=[(name, code) for code, name in emitter.constants.items()],
        helpers=emitter.helpers,
        codesets=[(codeset_name(c.name), c) for c in policy.codesets],
        code_systems=sorted({f.type.system for f in policy.facts if isinstance(f.type, (model.Code, model.Codes))}),
        code_patterns={system: pattern for system, (pattern, _) in model.CODE_SYSTEMS.items()},
        code_names={system: _a_code(description) for system, (_, description) in model.CODE_SYSTEMS.items()},
        date_name=_date_name,
        names_tuple=lambda names, indent: literal(tuple(names), indent).replace("'", ""),  # names, wrapped
        doc_line=doc_line,
        function_name=function_name,
        runtime=lambda *names: runtime.parts(names, frozenset(features)),
    )


def _a_code(description: str) -> str:
    """`a CPT`, `an ICD-10-CM`: how an error message names a system's codes."""
    name = description.split(" (")[0]
    return ("an " if name[0] in "AEFHILMNORSX" else "a ") + name


def codeset_name(name: str) -> str:
    return f"_CODESET_{name.upper()}"


@dataclass(frozen=True)
class _RevisionView:
    name: str  # from 2024-01-16, before 2024-01-16
    decide: str  # its function, and the one without the explanation
    lean: str
    test: str  # the test on the date fact `day` that it is in force ("" for the earliest)
    rules: list[_RuleView]
    otherwise: list[str]  # the Decision when no rule decides, with and without the explanation


@dataclass(frozen=True)
class _FactView:
    name: str
    annotation: str
    check: str  # the call that validates and converts the request's value
    values: tuple[str, ...] | None = None  # an enum's or a set's values
    pattern: str | None = None  # a string fact's pattern
    fast_path: str = ""  # statements taking the fact in its usual form, else _validate_fully

    @property
    def values_name(self) -> str:
        return f"_{self.name.upper()}_VALUES"

    @property
    def to_json(self) -> str:
        """An expression for the JSON of the fact's known value `{v}`."""
        return _TO_JSON[self.annotation]

    def json_item(self, indent: int) -> str:
        """`"null" if f.x is None else <its JSON>,` for a list display, on one line or four."""
        value = self.to_json.format(v=f"f.{self.name}")
        flat = f'"null" if f.{self.name} is None else {value},'
        if indent + len(flat) <= LINE_LIMIT:
            return flat
        pad = " " * indent
        value = _wrap(value, indent + 4, len("else "))
        return f'(\n{pad}    "null"\n{pad}    if f.{self.name} is None\n{pad}    else {value}\n{pad}),'

    def keyword(self, indent: int) -> str:
        """`name=check(...),` on one line, or with the call's arguments on the next."""
        line = f"{self.name}={self.check},"
        if indent + len(line) <= WIDTH:
            return line
        function, arguments = self.check.split("(", 1)
        pad = " " * indent
        if indent + 4 + len(arguments) <= LINE_LIMIT:
            return f"{self.name}={function}(\n{pad}    {arguments[:-1]}\n{pad}),"
        listed = "".join(f"{pad}    {argument},\n" for argument in _split_top_level(arguments[:-1]))
        return f"{self.name}={function}(\n{listed}{pad}),"

    @property
    def values_set(self) -> str:
        """`_X_VALUES_SET: Final = frozenset(_X_VALUES)`, wrapped when the name is long."""
        line = f"{self.values_name}_SET: Final = frozenset({self.values_name})"
        wrapped = f"{self.values_name}_SET: Final = frozenset(\n    {self.values_name}\n)"
        return line if len(line) <= LINE_LIMIT else wrapped

    @classmethod
    def of(cls, field: contract.Field) -> _FactView:
        """A fact's annotation, its validator's call, and its fast path, from the contract."""
        shape, name, var, annotation = field.shape, repr(field.name), field.name, field.python_type
        values = f"_{field.name.upper()}_VALUES"
        got = f"(v := get({name})) is not None"
        low, high = field.minimum, field.maximum
        if shape is Shape.BOOLEAN:
            fast = _fast(var, f"{got} and v is not True and v is not False")
            return cls(var, annotation, f"_boolean(request, {name}, errors)", fast_path=fast)
        if shape is Shape.INTEGER:
            fast = _fast(var, f"{got} and (type(v) is not int or not {low} <= v <= {high})")
            return cls(var, annotation, f"_integer(request, {name}, {low}, {high}, errors)", fast_path=fast)
        if shape is Shape.DECIMAL:
            assert isinstance(low, decimal.Decimal) and isinstance(high, decimal.Decimal)
            low_name, high_name = _decimal_name(low), _decimal_name(high)
            fast = _fast(var, f"{got} and (v := _fast_decimal(v, {low_name}, {high_name})) is None")
            if _float_exact(low) and _float_exact(high):  # the usual form, a float, tested as one
                fast = (
                    f"    {var}: Decimal | None = None\n"
                    f"    if {got}:\n"
                    f"        if type(v) is float and {float(low)!r} <= v <= {float(high)!r}:\n"
                    f"            {var} = Decimal(repr(v))  # as written: its shortest decimal\n"
                    f"        elif ({var} := _fast_decimal(v, {low_name}, {high_name})) is None:\n"
                    f"            {_SLOW}"
                )
            check = f"_decimal(request, {name}, {low_name}, {high_name}, errors)"
            return cls(var, annotation, check, fast_path=fast)
        if shape is Shape.CODE:
            fast = _fast(var, f"{got} and (type(v) is not str or not _{field.code_system}_CODE.fullmatch(v))")
            return cls(var, annotation, f"_code(request, {name}, {field.code_system!r}, errors)", fast_path=fast)
        if shape is Shape.CODES:
            fast = _fast(var, f"{got} and (v := _fast_codes(v, _{field.code_system}_CODE)) is None")
            return cls(var, annotation, f"_codes(request, {name}, {field.code_system!r}, errors)", fast_path=fast)
        if shape is Shape.ENUM:
            fast = _fast(var, f"{got} and (type(v) is not str or v not in {values}_SET)")
            return cls(var, annotation, f"_enum(request, {name}, {values}, errors)", field.values, fast_path=fast)
        if shape is Shape.SET:
            fast = _fast(var, f"{got} and (v := _fast_set(v, {values}_SET)) is None")
            check = f"_enum_set(request, {name}, {values}, errors)"
            return cls(var, annotation, check, field.values, fast_path=fast)
        if shape is Shape.DATE:
            fast = (
                f"    if {got}:\n"
                f"        if type(v) is not str or not _ISO_DATE.fullmatch(v):\n            {_SLOW}\n"
                f"        try:\n            v = datetime.date.fromisoformat(v)\n"
                f"        except ValueError:\n            {_SLOW}\n"
                f"    {var} = v"
            )
            return cls(var, annotation, f"_date(request, {name}, errors)", fast_path=fast)
        if shape is Shape.STRING:
            if field.pattern is None:
                fast = _fast(var, f"{got} and type(v) is not str")
                return cls(var, annotation, f"_string(request, {name}, None, errors)", fast_path=fast)
            compiled = f"_{field.name.upper()}_PATTERN"
            fast = _fast(var, f"{got} and (type(v) is not str or not {compiled}.fullmatch(v))")
            check = f"_string(request, {name}, {compiled}, errors)"
            return cls(var, annotation, check, pattern=field.pattern, fast_path=fast)
        assert_never(shape)


_SLOW = "return _validate_fully(request)"
_TO_JSON = {
    "bool": '"true" if {v} else "false"',
    "Decimal": "str({v})",  # exact, as a JSON number: 89.6, 1E+2
    "int": "str({v})",
    "str": "_STRING_JSON.get({v}) or _ENCODE({v})",  # an enum's values are encoded at import
    "frozenset[str]": "_set_json({v})",
    "datetime.date": "'\"' + {v}.isoformat() + '\"'",
}


def _float_exact(bound: decimal.Decimal) -> bool:
    """Whether a float compares with this bound exactly as its shortest decimal does: the bound is a
    float, and the shortest decimal of that float is the bound (so no shorter decimal rounds to it)."""
    return decimal.Decimal(float(bound)) == bound and decimal.Decimal(repr(float(bound))) == bound


def _fast(var: str, test: str) -> str:
    """Take the fact in its usual form into `var`; anything else goes to _validate_fully."""
    line = f"    if {test}:"
    if len(line) > WIDTH:
        first, rest = test.split(" and ", 1)
        line = f"    if (\n        {first}\n        and {rest}\n    ):"
    return f"{line}\n        {_SLOW}\n    {var} = v"


@dataclass(frozen=True)
class _ValueView:
    """A computed value, as a property of `Facts` that explanations read."""

    name: str
    description: str
    line: int
    annotation: str
    unknown: str  # the test that a fact it reads is unknown
    code: str


@dataclass(frozen=True)
class _ProvisionView:
    label: str
    kind: str
    line: int
    function: str
    missing_function: str
    value: str  # the expression for its Kleene value
    missing: list[str]  # statements adding its unknown facts to `missing`


@dataclass(frozen=True)
class _RuleView:
    line: int
    outcome: str
    section: str
    negated: bool  # `when not D.X`
    condition: str  # as written, for a comment
    statements: list[str]  # compute the locals of the provisions this rule needs, in Kleene logic
    two_valued_statements: list[str]  # the same in plain booleans, for when its facts are known
    explains: tuple[tuple[str, str], ...]  # (label, local) of each provision the explanation lists
    missing: str
    clarifications: tuple[str, ...]  # clarifications shown once this rule has been evaluated
    known: str  # the test that every fact the condition reads is known ("" when it reads none)
    unknown: str  # the test that one of them is unknown
    two_valued: str  # the condition in plain Python booleans, for when they are all known
    kleene: list[str]  # compute the condition's Kleene value into its local, for when they are not
    decided: str  # the Decision when the condition holds
    decided_lean: str  # the same without the explanation
    undecided: str  # the Decision when the condition is unknown
    undecided_lean: str  # the same without the explanation


def function_name(label: str) -> str:
    return "_" + label.replace(".", "_")


def local_name(label: str) -> str:
    """The local variable holding a provision's value in `decide`: D.I.A -> d_i_a."""
    return label.lower().replace(".", "_")


def missing_function_name(label: str) -> str:
    return "_missing" + function_name(label)


def _date_name(value: datetime.date) -> str:
    return f"_DATE_{value.year:04d}_{value.month:02d}_{value.day:02d}"


def _decimal_name(value: decimal.Decimal) -> str:
    """A decimal constant's module-level name: 1.0 -> _DECIMAL_1_0, -0.5 -> _DECIMAL_M0_5."""
    text = str(value).replace("-", "M").replace(".", "_").replace("+", "")
    return f"_DECIMAL_{text}"


_ARITHMETIC = {"+": "_ADD", "-": "_SUBTRACT", "*": "_MULTIPLY"}  # exact, whatever the caller's decimal context


@dataclass(frozen=True)
class _Ratio:
    """A number as numerator / denominator, both free of division, so that comparing is exact."""

    numerator: str
    whole: bool  # the numerator is an int
    denominator: str | None  # None: 1
    denominator_whole: bool
    sign: int  # the sign of every value the denominator takes


class _Emitter:
    """Code for expressions: a visitor over the checked model's expression classes."""

    def __init__(self, policy: model.Policy) -> None:
        self.policy = policy
        self.dates: set[datetime.date] = set()
        self.helpers: set[str] = set()  # the runtime functions the expressions call
        self.decimals: set[decimal.Decimal] = set()  # decimal constants
        self.constants: dict[str, str] = {}  # the code of each set or long text in a condition, and its name
        for fact in policy.facts:
            if isinstance(fact.type, model.Decimal):
                self.decimals.update((fact.type.low, fact.type.high))

    def revision(self, revision: model.Revision, first: int) -> _RevisionView:
        """A revision's `decide` functions; `first` is the index in _EVALUATED of its first rule."""
        single = len(self.policy.revisions) == 1
        suffix = revision.name.replace(" ", "_").replace("-", "_")
        effective = "EFFECTIVE_DATE" if single else repr(revision.start.isoformat() if revision.start else None)
        rules = self.rules(revision, first, effective)
        test = ""
        if revision.start is not None:
            self.dates.add(revision.start)
            test = f"day >= {_date_name(revision.start)}"
        otherwise = [
            self.decision(revision.otherwise, revision.otherwise_section, rules[-1].clarifications, results, effective)
            for results in ([f"_EVALUATED[{first + len(rules) - 1}]", "tuple(results)"], ["()", "()"])
        ]
        return _RevisionView(
            revision.name,
            "decide" if single else f"_decide_{suffix}",
            "_decide_lean" if single else f"_decide_lean_{suffix}",
            test,
            rules,
            otherwise,
        )

    def computed_value(self, value: model.Computed) -> _ValueView:
        ratio = self.ratio(value.operand)
        if ratio.denominator is not None:
            self.helpers.add("quotient")
            code, annotation = f"_quotient({ratio.numerator}, {ratio.denominator})", "Decimal | Fraction"
        else:
            code = ratio.numerator
            annotation = "int" if value.whole else "Decimal"
            if _shifts(value.operand):
                code, annotation = f"_date_or_text({code})", "datetime.date | str"
            elif self.is_date(value.operand):
                annotation = "datetime.date"
        unknown = " or ".join(f"f.{name} is None" for name in value.facts) or "False"
        return _ValueView(value.name, value.description, value.line, annotation, unknown, code)

    def is_date(self, operand: model.Operand) -> bool:
        while isinstance(operand, model.ValueRef):
            operand = operand.operand
        if isinstance(operand, model.FactRef):
            return isinstance(self.policy.fact(operand.fact).type, model.Date)
        if isinstance(operand, model.Const):
            return isinstance(operand.value, datetime.date)
        return isinstance(operand, model.Shift)

    def provision(self, p: model.Provision) -> _ProvisionView:
        assert p.condition is not None
        return _ProvisionView(
            p.label,
            p.kind,
            p.line,
            function_name(p.label),
            missing_function_name(p.label),
            self.value(p.condition),
            self.missing(p.condition, 1),
        )

    def rules(self, revision: model.Revision, first: int, effective: str) -> list[_RuleView]:
        views: list[_RuleView] = []
        evaluated: list[str] = []
        # decide has a branch in each logic; _decide_lean a Kleene one where facts are unknown
        lowering, two_valued, lean = _Lowering(self), _TwoValuedLowering(self), _Lowering(self)
        for rule in revision.rules:
            facts = self.policy.provision(rule.section).facts
            lean.computed.clear()  # each rule's Kleene branch computes its own locals: no other one ran
            explains = tuple(p.label for p in self.policy.subtree(rule.section))
            evaluated.extend(explains)
            negated = isinstance(rule.condition, model.Not)
            statements: list[str] = []
            two_valued_statements: list[str] = []
            explained = [f"_EVALUATED[{first + len(views)}]", "tuple(results)"]  # the provisions evaluated so far
            clarifications = self.clarifications(evaluated)
            missing = f"{missing_function_name(rule.section)}(f)"
            # `_decision`'s arguments for the unknown outcome here, around what is evaluated so far
            before = ["f", literal(self.policy.unknown), literal(rule.section)]
            after = [literal(clarifications)] + ([] if effective == "EFFECTIVE_DATE" else [effective])
            for label in explains:  # the explanation lists them all, so compute them all
                statements += lowering.provision(label)
                two_valued_statements += two_valued.provision(label)
            views.append(
                _RuleView(
                    rule.line,
                    rule.outcome,
                    rule.section,
                    negated,
                    rule.condition_text,
                    statements,
                    two_valued_statements,
                    tuple((label, local_name(label)) for label in explains),
                    missing,
                    clarifications,
                    _test([f"f.{name} is not None" for name in facts], "and", 4) if facts else "",
                    _test([f"f.{name} is None" for name in facts], "or", 4) if facts else "",
                    _TwoValuedLowering(self, inline=True).test(rule.condition, 8 if facts else 4),
                    lean.provision(rule.section),
                    self.decision(rule.outcome, rule.section, clarifications, explained, effective),
                    self.decision(rule.outcome, rule.section, clarifications, ["()", "()"], effective),
                    _call("_decision", [*before, "missing", explained[0], "results", *after]),
                    f"_decision({', '.join([*before, missing, '()', '[]', *after])})",
                )
            )
        return views

    def decision(
        self, outcome: str, section: str, clarifications: tuple[str, ...], explained: list[str], effective: str
    ) -> str:
        """A decided Decision, all its fields but `explained` (evaluated, results) known now, after `return `."""
        advisories = self.policy.outcome(outcome).advisories
        arguments = ["POLICY_ID", effective, repr(outcome), repr(section), "()", repr(advisories)]
        return _call("Decision", [*arguments, *explained, repr(clarifications), "f"])

    def clarifications(self, evaluated: list[str]) -> tuple[str, ...]:
        return tuple(p.label for p in self.policy.provisions if p.kind == "clarification" and p.clarifies in evaluated)

    # -- Kleene values ------------------------------------------------------------------------------

    def value(self, expr: model.Expr, indent: int = 4) -> str:
        """The code for an expression's Kleene value, for a line indented by `indent`."""
        if isinstance(expr, model.Const):
            return repr(expr.value)
        if isinstance(expr, model.FactRef):
            return f"f.{expr.fact}"
        if isinstance(expr, model.ProvisionRef):
            return f"{function_name(expr.label)}(f)"
        if isinstance(expr, model.Not):
            operand = self.value(expr.operand, indent)
            if isinstance(expr.operand, model.LEAVES):
                operand = operand[1:-1]  # a guarded test's own brackets: the call's are enough
            return f"_not({operand})"
        if isinstance(expr, model.Combine):
            args = [str(expr.count)] if expr.kind == "at_least" else []
            args += [self.value(o, indent + 4) for o in expr.operands]
            flat = f"_{expr.kind}({', '.join(args)})"
            if "\n" not in flat and indent + len(flat) <= WIDTH:
                return flat
            inner = " " * (indent + 4)
            return f"_{expr.kind}(\n" + "".join(f"{inner}{a},\n" for a in args) + " " * indent + ")"
        if isinstance(expr, model.Compare):
            return self.guarded(expr, self.comparison(expr), indent)
        if isinstance(expr, model.Member):
            return self.guarded(expr, f"{self.operand(expr.element)} in {self.operand(expr.collection)}", indent)
        if isinstance(expr, model.Intersects):
            return self.guarded(expr, self.intersects(expr), indent)
        if isinstance(expr, model.Empty):
            return self.guarded(expr, f"not {self.operand(expr.operand)}", indent)
        raise TypeError(f"unhandled expression {type(expr).__name__}")

    def intersects(self, expr: model.Intersects) -> str:
        left, right = self.operand(expr.left), self.operand(expr.right)
        if isinstance(expr.right, model.CodeSetRef):
            return f"{right}.meets({left})"
        return f"not {left}.isdisjoint({right})"

    def guarded(self, expr: model.Expr, test: str, indent: int) -> str:
        """A comparison is unknown when a fact it reads is unknown; on three lines when one is too long."""
        unknown = " or ".join(f"f.{name} is None" for name in model.facts_read(expr))
        flat = f"(None if {unknown} else {test})"
        if indent + len(flat) <= _GUARD_WIDTH:
            return flat
        pad = " " * (indent + 4)
        unknown, test = _wrap(unknown, indent + 4, len("if ")), _wrap(test, indent + 4, len("else "))
        return f"(\n{pad}None\n{pad}if {unknown}\n{pad}else {test}\n{' ' * indent})"

    def comparison(self, expr: model.Compare, op: str | None = None) -> str:
        """`left OP right`, exactly: a quotient is compared by cross-multiplying, never by dividing.

        a/b >= c/d is a*d >= c*b when b*d is positive, and a*d <= c*b when it is negative;
        the checker has proved the sign of every divisor from the declared ranges.
        """
        op = op or expr.op
        if _shifts(expr.left) or _shifts(expr.right):  # dates, one of them moved: compare day numbers
            return f"{self.day_number(expr.left)} {op} {self.day_number(expr.right)}"
        left, right = self.ratio(expr.left), self.ratio(expr.right)
        if left.sign * right.sign < 0:
            op = model.MIRRORED[op]
        a = self.product(left.numerator, left.whole, right.denominator, right.denominator_whole)
        b = self.product(right.numerator, right.whole, left.denominator, left.denominator_whole)
        return f"{a} {op} {b}"

    def ratio(self, operand: model.Operand) -> _Ratio:
        """An operand as a quotient of two division-free expressions."""
        while isinstance(operand, model.ValueRef):
            operand = operand.operand
        if not isinstance(operand, model.Arith) or not _divides(operand):
            return _Ratio(self.operand(operand), model.is_whole(operand), None, True, 1)
        left, right = self.ratio(operand.left), self.ratio(operand.right)
        if operand.op == "/":  # (a/b) / (c/d) = (a*d) / (b*c); c has the divisor's sign times d's
            numerator = self.product(left.numerator, left.whole, right.denominator, right.denominator_whole)
            denominator = self.product(left.denominator or "1", left.denominator_whole, right.numerator, right.whole)
            sign = left.sign * right.sign * operand.divisor_sign
            return _Ratio(numerator, left.whole and right.denominator_whole, denominator, False, sign)
        if operand.op == "*":
            numerator = self.product(left.numerator, left.whole, right.numerator, right.whole)
            whole = left.denominator_whole and right.denominator_whole
            denominator = self.product(left.denominator, left.denominator_whole, right.denominator, whole)
            return _Ratio(numerator, left.whole and right.whole, denominator, whole, left.sign * right.sign)
        # a/b + c/d = (a*d + c*b) / (b*d)
        a = self.product(left.numerator, left.whole, right.denominator, right.denominator_whole)
        c = self.product(right.numerator, right.whole, left.denominator, left.denominator_whole)
        whole = left.whole and right.whole and left.denominator_whole and right.denominator_whole
        numerator = f"({a} {operand.op} {c})" if whole else f"{_ARITHMETIC[operand.op]}({a}, {c})"
        denominator_whole = left.denominator_whole and right.denominator_whole
        denominator = self.product(left.denominator, left.denominator_whole, right.denominator, denominator_whole)
        return _Ratio(numerator, whole, denominator, denominator_whole, left.sign * right.sign)

    def product(self, a: str | None, a_whole: bool, b: str | None, b_whole: bool) -> str:
        """`a * b`, exactly; None stands for 1."""
        if a is None or b is None:
            return (a or b) or "1"
        if a == "1" or b == "1":
            return b if a == "1" else a
        self.helpers.add("exact")
        return f"({a} * {b})" if a_whole and b_whole else f"_MULTIPLY({a}, {b})"

    def day_number(self, operand: model.Operand) -> str:
        """A date as its day number (0001-01-01 is 1): moved past 9999-12-31, it is still later than every date."""
        while isinstance(operand, model.ValueRef):
            operand = operand.operand
        if not isinstance(operand, model.Shift):
            return f"{self.operand(operand)}.toordinal()"
        if operand.unit == "days":
            return f"({self.day_number(operand.date)} {'+' if operand.amount >= 0 else '-'} {abs(operand.amount)})"
        self.helpers.add("calendar")
        return f"_shift_months({self.day_number(operand.date)}, {operand.amount})"

    def operand(self, operand: model.Operand) -> str:
        """The code for a value; every fact it reads is known here (a guard has tested them)."""
        if isinstance(operand, model.FactRef):
            return f"f.{operand.fact}"
        if isinstance(operand, model.ValueRef):
            return self.operand(operand.operand)
        if isinstance(operand, model.CodeSetRef):
            self.helpers.add("codeset")
            return codeset_name(operand.name)
        if isinstance(operand, model.Arith):
            if operand.op == "/":
                raise TypeError("a quotient is compared through ratio(), never computed in floating point")
            left, right = self.operand(operand.left), self.operand(operand.right)
            if operand.whole:
                return f"({left} {operand.op} {right})"
            self.helpers.add("exact")
            return f"{_ARITHMETIC[operand.op]}({left}, {right})"
        if isinstance(operand, model.Shift):
            return self.day_number(operand)
        if isinstance(operand, model.Call):
            if operand.function == "count":
                return f"len({self.operand(operand.arguments[0])})"
            if operand.function == "days_between" and not any(map(_shifts, operand.arguments)):
                start, end = (self.operand(a) for a in operand.arguments)
                return f"({end} - {start}).days"
            start, end = (self.day_number(a) for a in operand.arguments)
            if operand.function == "days_between":
                return f"({end} - {start})"
            self.helpers.add("calendar")
            return f"_{operand.function}({start}, {end})"
        value = operand.value
        if isinstance(value, datetime.date):
            self.dates.add(value)
            return _date_name(value)
        if isinstance(value, decimal.Decimal):
            self.decimals.add(value)
            return _decimal_name(value)
        if isinstance(value, tuple):
            items = [repr(v) if isinstance(v, str) else self.operand(model.Const(v)) for v in value]
            inline = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
            if len(inline) <= 48:
                return inline
            # a long set of values: a module-level frozenset, made once and wrapped to fit
            code = f"frozenset({{{', '.join(items)}}})"
            if len(code) > WIDTH - 24:
                code = "frozenset(\n    {\n" + "".join(f"        {item},\n" for item in items) + "    }\n)"
            return self.constants.setdefault(code, f"_SET_{len(self.constants) + 1}")
        if isinstance(value, str) and len(value) > 42:  # a text longer than any name: a constant, so lines stay short
            return self.constants.setdefault(literal(value, 4), f"_TEXT_{len(self.constants) + 1}")
        return repr(value)

    # -- Two-valued code, for when every fact a condition reads is known ------------------------------

    def two_valued(self, expr: model.Expr) -> str:
        """Plain Python for a comparison, membership or emptiness test whose facts are known."""
        if isinstance(expr, (model.Const, model.FactRef)):
            return self.operand(expr)
        if isinstance(expr, model.Compare):
            return self.comparison(expr)
        if isinstance(expr, model.Member):
            return f"{self.operand(expr.element)} in {self.operand(expr.collection)}"
        if isinstance(expr, model.Intersects):
            return self.intersects(expr)
        if isinstance(expr, model.Empty):
            return f"not {self.operand(expr.operand)}"
        raise TypeError(f"unhandled expression {type(expr).__name__}")

    def resolve(self, expr: model.Expr) -> model.Expr:
        """A provision's condition in place of a reference to it."""
        while isinstance(expr, model.ProvisionRef):
            condition = self.policy.provision(expr.label).condition
            assert condition is not None
            expr = condition
        return expr

    # -- Missing facts --------------------------------------------------------------------------------

    def missing(self, expr: model.Expr, depth: int) -> list[str]:
        """Statements adding to `missing` the facts that leave an unknown `expr` unknown."""
        pad = "    " * depth
        if isinstance(expr, model.ProvisionRef):
            return [f"{pad}missing |= {missing_function_name(expr.label)}(f)"]
        if isinstance(expr, model.Not):
            return self.missing(expr.operand, depth)
        if isinstance(expr, model.Combine):
            lines: list[str] = []
            for operand in expr.operands:
                while isinstance(operand, model.Not):  # `not x` is unknown exactly when x is
                    operand = operand.operand
                if isinstance(operand, (model.Combine, model.ProvisionRef)):
                    lines.append(f"{pad}if {self.value(operand, len(pad) + 3)} is None:")
                    lines.extend(self.missing(operand, depth + 1))
                else:  # a comparison whose facts are known adds nothing, so it needs no test
                    lines.extend(self.missing(operand, depth))
            return lines
        lines = []
        for name in model.facts_read(expr):
            lines.append(f"{pad}if f.{name} is None:")
            lines.append(f"{pad}    missing.add({name!r})")
        return lines


class _Lowering:
    """Straight-line code for `decide`: each provision's value computed once, into a local, when first needed.

    Kleene operators are written out (`False in (a, b)` and the like) rather than
    called, since `decide` is the hot path of every evaluation.
    """

    def __init__(self, emitter: _Emitter) -> None:
        self.emitter = emitter
        self.computed: set[str] = set()
        self.temps = 0

    def provision(self, label: str) -> list[str]:
        if label in self.computed:
            return []
        condition = self.emitter.policy.provision(label).condition
        assert condition is not None
        lines: list[str] = []
        value = self.expr(condition, lines)
        lines.append(f"{local_name(label)} = {_wrap(value, 0, len(local_name(label)) + 3)}")
        self.computed.add(label)
        return lines

    def expr(self, expr: model.Expr, lines: list[str]) -> str:
        if isinstance(expr, model.ProvisionRef):
            lines += self.provision(expr.label)
            return local_name(expr.label)
        if isinstance(expr, model.Not):
            return self.negation(expr.operand, lines)
        if isinstance(expr, model.Combine):
            return self.combination(expr, lines)
        return self.leaf(expr, lines)

    def leaf(self, expr: model.Expr, lines: list[str]) -> str:
        code = self.emitter.value(expr, 0)
        return self.temp(lines, code) if "\n" in code else code

    def negation(self, operand: model.Expr, lines: list[str]) -> str:
        code = self.atom(operand, lines)
        return f"None if {code} is None else not {code}"

    def combination(self, expr: model.Combine, lines: list[str]) -> str:
        operands = [self.expr(o, lines) for o in expr.operands]  # each used once: no temporaries
        if expr.kind == "at_least":
            return f"_at_least({expr.count}, {', '.join(operands)})"
        values = self.temp(lines, "(" + ", ".join(operands) + ("," if len(operands) == 1 else "") + ")")
        decisive, other = ("False", "True") if expr.kind == "all" else ("True", "False")
        return f"{decisive} if {decisive} in {values} else None if None in {values} else {other}"

    def atom(self, expr: model.Expr, lines: list[str]) -> str:
        """A name or constant for `expr`, so that testing it twice computes it once."""
        code = self.expr(expr, lines)
        if code.isidentifier() or code in ("True", "False") or re.fullmatch(r"f\.\w+", code):
            return code
        return self.temp(lines, code)

    def temp(self, lines: list[str], code: str) -> str:
        self.temps += 1
        name = f"v{self.temps}"
        line = f"{name} = {code}"
        if "\n" not in code and len(line) > WIDTH - 4 and code.startswith("(") and code.endswith(")"):
            items = _split_top_level(code[1:-1].rstrip(","))
            line = f"{name} = (\n" + "".join(f"    {item},\n" for item in items) + ")"
        lines.append(line)
        return name


LINE_LIMIT = 120  # ruff's, in pyproject.toml: no generated line may pass it
_GUARD_WIDTH = 100  # a guarded test placed up to 16 columns in still fits ruff's 120

_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}  # for known values only


def _shifts(operand: model.Operand) -> bool:
    """Whether a date is moved by a duration (so it may fall outside datetime.date's years)."""
    while isinstance(operand, model.ValueRef):
        operand = operand.operand
    return isinstance(operand, model.Shift)


def _divides(operand: model.Operand) -> bool:
    """Whether a number's formula divides anywhere."""
    if isinstance(operand, model.ValueRef):
        return _divides(operand.operand)
    return isinstance(operand, model.Arith) and (
        operand.op == "/" or _divides(operand.left) or _divides(operand.right)
    )


def _call(function: str, arguments: list[str]) -> str:
    """A call on one line when it fits ruff's limit at the depth of a rule's branch, else an argument a line."""
    flat = f"{function}({', '.join(arguments)})"
    if len(flat) <= 120 - 19:
        return flat
    return f"{function}(\n" + "".join(f"    {argument},\n" for argument in arguments) + ")"


def _test(parts: list[str], joiner: str, indent: int, bracket: bool = False) -> str:
    """`a and b` on one line, or in brackets with an operand a line when it is too long."""
    flat = f" {joiner} ".join(parts)
    if not bracket and indent + len(flat) + 4 <= WIDTH:
        return flat
    pad = " " * indent
    parts = [_wrap(part, indent + 4, len(joiner) + 1) for part in parts]
    return "(\n" + f"\n{pad}    {joiner} ".join([f"{pad}    {parts[0]}", *parts[1:]]) + f"\n{pad})"


class _TwoValuedLowering(_Lowering):
    """The same values in plain Python booleans, right when every fact they read is known.

    With `inline`, a provision's condition is written in place rather than read from its local.
    """

    def __init__(self, emitter: _Emitter, inline: bool = False) -> None:
        super().__init__(emitter)
        self.inline = inline

    def provision(self, label: str) -> list[str]:
        lines = super().provision(label)
        condition = self.emitter.policy.provision(label).condition
        if lines and len(lines[-1]) > WIDTH - 8 and isinstance(condition, model.Combine):
            lines[-1] = f"{local_name(label)} = {self.wrapped(condition, 0)}"
        return lines

    def expr(self, expr: model.Expr, lines: list[str]) -> str:
        if self.inline and isinstance(expr, model.ProvisionRef):
            return self.expr(self.emitter.resolve(expr), lines)
        return super().expr(expr, lines)

    def leaf(self, expr: model.Expr, lines: list[str]) -> str:
        return self.emitter.two_valued(expr)

    def negation(self, operand: model.Expr, lines: list[str]) -> str:
        inner = self.emitter.resolve(operand) if self.inline else operand
        if isinstance(inner, (model.Not, model.Empty)):  # not not x: x, as a bool
            return f"bool({self.expr(inner.operand, lines)})"
        if isinstance(inner, model.Member):
            return f"{self.emitter.operand(inner.element)} not in {self.emitter.operand(inner.collection)}"
        if isinstance(inner, model.Compare):
            return self.emitter.comparison(inner, _NEGATED[inner.op])
        return f"not {self.bracketed(operand, lines, always=True)}"

    def combination(self, expr: model.Combine, lines: list[str]) -> str:
        if expr.kind == "at_least":  # True + True == 2
            operands = [self.bracketed(o, lines, always=True) for o in expr.operands]
            return f"{' + '.join(operands)} >= {expr.count}"
        operands = [self.bracketed(o, lines, always=False) for o in expr.operands]
        return f" {'and' if expr.kind == 'all' else 'or'} ".join(operands)

    def atom(self, expr: model.Expr, lines: list[str]) -> str:
        return self.expr(expr, lines)

    def bracketed(self, expr: model.Expr, lines: list[str], always: bool) -> str:
        """An operand in brackets when it needs them: combinations, or all but names when `always`."""
        code = self.expr(expr, lines)
        combined = isinstance(self.emitter.resolve(expr) if self.inline else expr, model.Combine)
        if re.fullmatch(r"[\w.]+", code) or not (always or combined):
            return code
        return f"({code})"

    def wrapped(self, combination: model.Combine, indent: int) -> str:
        """A combination in brackets with an operand a line: `and`, `or`, or `+` for at least N."""
        at_least = combination.kind == "at_least"
        parts = []
        for operand in combination.operands:
            part = self.bracketed(operand, [], always=at_least)  # computed: no lines
            inner = self.emitter.resolve(operand) if self.inline else operand
            if isinstance(inner, model.Combine) and indent + len(part) + 8 > WIDTH:
                part = self.wrapped(inner, indent + 4)  # a long group inside: an operand a line too
                part = f"({part})" if at_least and inner.kind == "at_least" else part
            parts.append(part)
        if at_least:  # True + True == 2
            return _test(parts, "+", indent, True) + f" >= {combination.count}"
        return _test(parts, "and" if combination.kind == "all" else "or", indent, True)

    def test(self, condition: model.Expr, indent: int) -> str:
        """What follows `if` for a rule's condition, on one line or an operand a line."""
        flat = self.expr(condition, [])
        negated = isinstance(condition, model.Not)
        inner = self.emitter.resolve(condition.operand if isinstance(condition, model.Not) else condition)
        if indent + len(flat) + 4 <= WIDTH or not isinstance(inner, model.Combine):
            return flat
        return ("not " if negated else "") + self.wrapped(inner, indent)


# Where a long expression is broken, loosest-binding operators first: the lines break before every
# operator of the loosest kind present outside brackets.
_BREAKS = ({"if", "else"}, {"or"}, {"and"}, {"<", "<=", ">", ">=", "==", "!=", "in"}, {"+"})


def _wrap(code: str, indent: int, prefix: int = 0) -> str:
    """`code` as it is when it fits after `prefix` columns of a line indented by `indent`; else in
    brackets, broken before each operator of the loosest kind outside brackets, each piece in turn."""
    if indent + prefix + len(code) <= LINE_LIMIT - 8 or "\n" in code:  # 8: a template may indent it so
        return code
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.string]
    found: dict[str, list[int]] = {}  # each operator outside brackets, and where it stands
    depth, closed_at, previous = 0, -1, ""
    for token in tokens:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
            closed_at = token.start[1] if depth == 0 and closed_at < 0 else closed_at
        elif depth == 0 and token.type in (tokenize.OP, tokenize.NAME):
            if not (token.string == "in" and previous == "not"):  # `not in` stays whole
                found.setdefault(token.string, []).append(token.start[1])
        previous = token.string
    loosest = next((kind for kind in _BREAKS if kind & found.keys()), set())
    cuts = [0, *sorted(at for operator in loosest & found.keys() for at in found[operator])]
    if len(cuts) == 1 and code.startswith("(") and closed_at == len(code) - 1:  # all in one bracket
        inner = _wrap(code[1:-1], indent, prefix)
        return inner if "\n" in inner else code  # never drop the brackets of a group that fits bare
    pad = " " * (indent + 4)
    lines = []
    for start, end in itertools.pairwise([*cuts, len(code)]):
        line = code[start:end].strip()
        operator, _, rest = line.partition(" ") if start else ("", "", line)
        if len(cuts) > 1 and rest and (operator in loosest or not operator):  # a long operand: broken in turn
            line = (f"{operator} " if operator else "") + _wrap(rest, indent + 4, len(operator) + 1)
        lines.append(line)
    return "(\n" + "".join(f"{pad}{line}\n" for line in lines) + " " * indent + ")"


def _split_top_level(code: str) -> list[str]:
    """Split `a, (b, c), d` at the commas outside brackets, by Python's own tokenizer: a string may hold
    commas, brackets and escaped quotes (`'a\\\\'`), which only a tokenizer reads right."""
    cuts, depth = [-1], 0
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif token.type == tokenize.OP and token.string == "," and depth == 0:
            cuts.append(token.start[1])
    cuts.append(len(code))
    return [code[start + 1 : end].strip() for start, end in itertools.pairwise(cuts)]
