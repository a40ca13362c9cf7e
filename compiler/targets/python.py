"""The Python target: `model.Policy` -> one standard-library-only evaluator module.

The template `templates/evaluator.py.j2` holds the shape of the module; this
file computes what goes in it: one function per provision for its Kleene value
and one for the facts that leave it unknown, and the order of decision as
straight-line code. Every string from the policy reaches the module through
`repr()`, so no policy text can become code.
"""

from __future__ import annotations

import datetime
import re
import sys
import types
from dataclasses import dataclass
from pathlib import PurePosixPath

import compiler
from compiler import model
from compiler.targets.templating import TEMPLATES, WIDTH, doc_line


def module_name(policy_id: str) -> str:
    """The importable module name of a policy: MP-MM-1308 -> mp_mm_1308."""
    name = re.sub(r"[^0-9a-z]+", "_", policy_id.lower()).strip("_")
    return name if name and not name[0].isdigit() else f"policy_{name}"


def load_module(policy: model.Policy) -> types.ModuleType:
    """Render a policy's evaluator and load it as a module, as `import` would."""
    module = types.ModuleType(module_name(policy.policy_id))
    module.__file__ = f"<policyc:{policy.source_name}>"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(render(policy), module.__file__, "exec"), module.__dict__)  # our own output, not input
    return module


def emit(policy: model.Policy) -> dict[PurePosixPath, str]:
    path = PurePosixPath("python") / f"{module_name(policy.policy_id)}.py"
    return {path: render(policy)}


def render(policy: model.Policy) -> str:
    emitter = _Emitter(policy)
    template = TEMPLATES.get_template("evaluator.py.j2")
    return template.render(
        policy=policy,
        version=compiler.__version__,
        facts=[_FactView.of(f) for f in policy.facts],
        kinds=sorted({f.type.kind for f in policy.facts}),
        provisions=[emitter.provision(p) for p in policy.provisions if p.condition is not None],
        explained=[p for p in policy.provisions if p.condition is not None],
        clarifications=[p for p in policy.provisions if p.kind == "clarification"],
        rules=emitter.rules(),
        dates=sorted(emitter.dates),
        date_name=_date_name,
        doc_line=doc_line,
        function_name=function_name,
    )


@dataclass(frozen=True)
class _FactView:
    name: str
    annotation: str
    check: str  # the call that validates and converts the request's value
    values: tuple[str, ...] | None = None  # an enum's or a set's values

    @property
    def values_name(self) -> str:
        return f"_{self.name.upper()}_VALUES"

    def keyword(self, indent: int) -> str:
        """`name=check(...),` on one line, or with the call's arguments on the next."""
        line = f"{self.name}={self.check},"
        if indent + len(line) <= WIDTH:
            return line
        function, arguments = self.check.split("(", 1)
        pad = " " * indent
        return f"{self.name}={function}(\n{pad}    {arguments[:-1]}\n{pad}),"

    @classmethod
    def of(cls, fact: model.Fact) -> _FactView:
        t, name = fact.type, repr(fact.name)
        if isinstance(t, model.Boolean):
            return cls(fact.name, "bool", f"_boolean(request, {name}, errors)")
        if isinstance(t, model.Integer):
            return cls(fact.name, "int", f"_integer(request, {name}, {t.low}, {t.high}, errors)")
        values = f"_{fact.name.upper()}_VALUES"
        if isinstance(t, model.Enum):
            return cls(fact.name, "str", f"_enum(request, {name}, {values}, errors)", t.values)
        if isinstance(t, model.EnumSet):
            return cls(fact.name, "frozenset[str]", f"_enum_set(request, {name}, {values}, errors)", t.values)
        if isinstance(t, model.Date):
            return cls(fact.name, "datetime.date", f"_date(request, {name}, errors)")
        if isinstance(t, model.String):
            pattern = "None" if t.pattern is None else f"re.compile({t.pattern!r})"
            return cls(fact.name, "str", f"_string(request, {name}, {pattern}, errors)")
        raise TypeError(f"unhandled fact type {type(t).__name__}")


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
    explains: tuple[str, ...]  # provisions whose results this rule adds to the explanation
    missing: str
    clarifications: tuple[str, ...]  # clarifications shown once this rule has been evaluated


def function_name(label: str) -> str:
    return "_" + label.replace(".", "_")


def missing_function_name(label: str) -> str:
    return "_missing" + function_name(label)


def _date_name(value: datetime.date) -> str:
    return f"_DATE_{value.year:04d}_{value.month:02d}_{value.day:02d}"


class _Emitter:
    """Code for expressions: a visitor over the checked model's expression classes."""

    def __init__(self, policy: model.Policy) -> None:
        self.policy = policy
        self.dates: set[datetime.date] = set()

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

    def rules(self) -> list[_RuleView]:
        views: list[_RuleView] = []
        evaluated: list[str] = []
        for rule in self.policy.rules:
            explains = tuple(p.label for p in self.policy.subtree(rule.section))
            evaluated.extend(explains)
            negated = isinstance(rule.condition, model.Not)
            views.append(
                _RuleView(
                    rule.line,
                    rule.outcome,
                    rule.section,
                    negated,
                    rule.condition_text,
                    explains,
                    f"{missing_function_name(rule.section)}(f)",
                    self.clarifications(evaluated),
                )
            )
        return views

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
            return f"_not({self.value(expr.operand, indent)})"
        if isinstance(expr, model.Combine):
            args = [str(expr.count)] if expr.kind == "at_least" else []
            args += [self.value(o, indent + 4) for o in expr.operands]
            flat = f"_{expr.kind}({', '.join(args)})"
            if "\n" not in flat and indent + len(flat) <= WIDTH:
                return flat
            inner = " " * (indent + 4)
            return f"_{expr.kind}(\n" + "".join(f"{inner}{a},\n" for a in args) + " " * indent + ")"
        if isinstance(expr, model.Compare):
            return self.guarded(expr, f"{self.operand(expr.left)} {expr.op} {self.operand(expr.right)}")
        if isinstance(expr, model.Member):
            return self.guarded(expr, f"{self.operand(expr.element)} in {self.operand(expr.collection)}")
        if isinstance(expr, model.Empty):
            return self.guarded(expr, f"not {self.operand(expr.operand)}")
        raise TypeError(f"unhandled expression {type(expr).__name__}")

    def guarded(self, expr: model.Expr, test: str) -> str:
        """A comparison is unknown when a fact it reads is unknown."""
        unknown = " or ".join(f"f.{name} is None" for name in model.facts_read(expr))
        return f"(None if {unknown} else {test})"

    def operand(self, operand: model.Operand) -> str:
        if isinstance(operand, model.FactRef):
            return f"f.{operand.fact}"
        value = operand.value
        if isinstance(value, datetime.date):
            self.dates.add(value)
            return _date_name(value)
        if isinstance(value, tuple):
            items = [self.operand(model.Const(v)) for v in value]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        return repr(value)

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
