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
from compiler.targets.templating import TEMPLATES, WIDTH, doc_line, literal


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
    facts = [_FactView.of(f) for f in policy.facts]
    index = {f.name: i for i, f in enumerate(policy.facts)}
    read: set[int] = set()
    facts_read_through = []
    for rule in policy.rules:
        provisions = policy.subtree(rule.section)
        read.update(index[name] for p in provisions for name in p.facts)
        facts_read_through.append((provisions[-1].label, tuple(sorted(read))))
    tables = [f.values_name for f in facts if f.values is not None]
    return template.render(
        policy=policy,
        version=compiler.__version__,
        facts=facts,
        facts_read_through=facts_read_through,
        enum_tables=literal(tuple(tables)).replace("'", ""),  # a tuple of names, wrapped to fit
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
    pattern: str | None = None  # a string fact's pattern
    fast_path: str = ""  # statements taking the fact in its usual form, else _validate_fully

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
        t, name, var = fact.type, repr(fact.name), fact.name
        values = f"_{fact.name.upper()}_VALUES"
        got = f"(v := get({name})) is not None"
        if isinstance(t, model.Boolean):
            fast = _fast(var, f"{got} and v is not True and v is not False")
            return cls(var, "bool", f"_boolean(request, {name}, errors)", fast_path=fast)
        if isinstance(t, model.Integer):
            fast = _fast(var, f"{got} and (type(v) is not int or not {t.low} <= v <= {t.high})")
            return cls(var, "int", f"_integer(request, {name}, {t.low}, {t.high}, errors)", fast_path=fast)
        if isinstance(t, model.Enum):
            fast = _fast(var, f"{got} and (type(v) is not str or v not in {values}_SET)")
            return cls(var, "str", f"_enum(request, {name}, {values}, errors)", t.values, fast_path=fast)
        if isinstance(t, model.EnumSet):
            fast = _fast(var, f"{got} and (v := _fast_set(v, {values}_SET)) is None")
            check = f"_enum_set(request, {name}, {values}, errors)"
            return cls(var, "frozenset[str]", check, t.values, fast_path=fast)
        if isinstance(t, model.Date):
            fast = (
                f"    if {got}:\n"
                f"        if type(v) is not str or not _ISO_DATE.fullmatch(v):\n            {_SLOW}\n"
                f"        try:\n            v = datetime.date.fromisoformat(v)\n"
                f"        except ValueError:\n            {_SLOW}\n"
                f"    {var} = v"
            )
            return cls(var, "datetime.date", f"_date(request, {name}, errors)", fast_path=fast)
        if isinstance(t, model.String):
            if t.pattern is None:
                return cls(
                    var,
                    "str",
                    f"_string(request, {name}, None, errors)",
                    fast_path=_fast(var, f"{got} and type(v) is not str"),
                )
            compiled = f"_{fact.name.upper()}_PATTERN"
            fast = _fast(var, f"{got} and (type(v) is not str or not {compiled}.fullmatch(v))")
            return cls(var, "str", f"_string(request, {name}, {compiled}, errors)", pattern=t.pattern, fast_path=fast)
        raise TypeError(f"unhandled fact type {type(t).__name__}")


_SLOW = "return _validate_fully(request)"


def _fast(var: str, test: str) -> str:
    """Take the fact in its usual form into `var`; anything else goes to _validate_fully."""
    line = f"    if {test}:"
    if len(line) > WIDTH:
        first, rest = test.split(" and ", 1)
        line = f"    if (\n        {first}\n        and {rest}\n    ):"
    return f"{line}\n        {_SLOW}\n    {var} = v"


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
    statements: list[str]  # compute the locals of the provisions this rule needs
    explains: tuple[tuple[str, str], ...]  # (label, local) of each provision the explanation lists
    missing: str
    clarifications: tuple[str, ...]  # clarifications shown once this rule has been evaluated


def function_name(label: str) -> str:
    return "_" + label.replace(".", "_")


def local_name(label: str) -> str:
    """The local variable holding a provision's value in `decide`: D.I.A -> d_i_a."""
    return label.lower().replace(".", "_")


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
        lowering = _Lowering(self)
        for rule in self.policy.rules:
            explains = tuple(p.label for p in self.policy.subtree(rule.section))
            evaluated.extend(explains)
            negated = isinstance(rule.condition, model.Not)
            statements: list[str] = []
            for label in explains:  # the explanation lists them all, so compute them all
                statements += lowering.provision(label)
            views.append(
                _RuleView(
                    rule.line,
                    rule.outcome,
                    rule.section,
                    negated,
                    rule.condition_text,
                    statements,
                    tuple((label, local_name(label)) for label in explains),
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
        lines.append(f"{local_name(label)} = {value}")
        self.computed.add(label)
        return lines

    def expr(self, expr: model.Expr, lines: list[str]) -> str:
        if isinstance(expr, model.ProvisionRef):
            lines += self.provision(expr.label)
            return local_name(expr.label)
        if isinstance(expr, model.Not):
            operand = self.atom(expr.operand, lines)
            return f"None if {operand} is None else not {operand}"
        if isinstance(expr, model.Combine):
            operands = [self.expr(o, lines) for o in expr.operands]  # each used once: no temporaries
            if expr.kind == "at_least":
                return f"_at_least({expr.count}, {', '.join(operands)})"
            values = self.temp(lines, "(" + ", ".join(operands) + ("," if len(operands) == 1 else "") + ")")
            decisive, other = ("False", "True") if expr.kind == "all" else ("True", "False")
            return f"{decisive} if {decisive} in {values} else None if None in {values} else {other}"
        return self.emitter.value(expr)

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
        if len(line) > WIDTH - 4 and code.startswith("(") and code.endswith(")"):
            items = _split_top_level(code[1:-1].rstrip(","))
            line = f"{name} = (\n" + "".join(f"    {item},\n" for item in items) + ")"
        lines.append(line)
        return name


def _split_top_level(code: str) -> list[str]:
    """Split `a, (b, c), d` at the commas outside brackets and strings."""
    items, depth, start, quote = [], 0, 0, ""
    for i, char in enumerate(code):
        if quote:
            quote = "" if char == quote and code[i - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(code[start:i].strip())
            start = i + 1
    items.append(code[start:].strip())
    return items
