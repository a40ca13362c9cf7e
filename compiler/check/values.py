"""Values: the typing of numbers and dates, with their units and ranges, and the computed values.

`declare_computed` adds each computed value to the scope, typed by the facts and the values
declared before it; `ValueCheck` types an operand (a fact, a literal, arithmetic, a function
call) as a `model.Operand` with its `Quantity`, compares two of them, and checks a literal
against the fact it is compared with (E202-E204, E208-E210).
"""

from __future__ import annotations

import dataclasses
import decimal
import itertools
import re
from fractions import Fraction
from types import MappingProxyType

from compiler import model
from compiler.check.quantities import (
    FUNCTIONS,
    TIME_UNITS,
    Quantity,
    add,
    can_hold,
    fmt_range,
    multiply,
    neg,
    unit_product,
)
from compiler.check.report import Report, a, closest, describe, fold, suggest, suggest_named
from compiler.check.scope import ComputedValue, Pass, Scope
from compiler.syntax import nodes
from compiler.syntax.unparse import expression, table_keys


def declare_computed(
    scope: Scope, values: list[nodes.Computed], report: Report, checker: type[ValueCheck] | None = None
) -> Scope:
    """Values computed from facts; each may use the facts and the values declared before it.

    `checker` is the pass that types each formula: `ConditionCheck`, where a formula selects records."""
    for value in values:
        if value.name in scope.facts or value.name in scope.computed or value.name in scope.codesets:
            report.error("E116", f"'{value.name}' is already declared", value.span)
            continue
        checked = check_formula(scope, value, report, checker or ValueCheck)
        if checked is not None:
            computed_values = {**scope.computed, value.name: checked}
            scope = dataclasses.replace(scope, computed=MappingProxyType(computed_values))
    return scope


def declare_tables(scope: Scope, tables: list[nodes.Table], report: Report) -> Scope:
    """Lookup tables, each a value read by its facts' values (enums, or integers by ranges): the first
    row that matches, `else` matching any value; a row must match every combination (E213), and each
    row some combination before the rows above it do (W106). Named like the values, so read like
    them. A table with a mistake is declared all the same, so that its uses are not reported too."""
    for table in tables:
        if table.name in scope.facts or table.name in scope.computed or table.name in scope.codesets:
            report.error("E116", f"'{table.name}' is already declared", table.span)
            continue
        domains = [_key_domain(scope, key, report) for key in table.keys]
        rows = _table_rows(table, domains, report) if all(d is not None for d in domains) else ()
        numbers = [Fraction(c.value) for _, c in rows] or [Fraction(0)]  # type: ignore[arg-type]  # numbers
        whole = all(n.denominator == 1 for n in numbers)
        keys = tuple(model.FactRef(key.name, span=key.span) for key in table.keys)
        lookup = model.Lookup(table.name, keys, rows, whole, span=table.span)
        quantity = Quantity("number", table.unit, min(numbers), max(numbers), whole=whole)
        names = tuple(key.name for key in table.keys)
        formula = f"by {', '.join(names)}: " + "; ".join(f"{table_keys(k)} {c.value}" for k, c in rows)
        computed = model.Computed(
            table.name, table.unit, formula, table.source, names, table.span.line, lookup, whole, span=table.span
        )
        declared = {**scope.computed, table.name: ComputedValue(computed, lookup, quantity, table.span)}
        scope = dataclasses.replace(scope, computed=MappingProxyType(declared))
    return scope


# The values of a table's fact, as cells that each row's key matches whole or not at all: an enum's
# values, or an integer's declared range cut into intervals where some row's range starts or ends.
_Cell = str | tuple[int, int]
_Domain = tuple[model.Enum | model.Integer, list[_Cell]]


def _key_domain(scope: Scope, key: nodes.Name, report: Report) -> _Domain | None:
    key_type = scope.fact_types.get(key.name)
    if key_type is not None:
        report.used_facts.add(key.name)
    if isinstance(key_type, model.Enum):
        return key_type, list[_Cell](key_type.values)
    if isinstance(key_type, model.Integer):
        return key_type, [(key_type.low, key_type.high)]
    what = "not declared" if key_type is None else f"{a(key_type.kind)} fact"
    report.error("E213", f"a table is read by enum or integer facts; '{key.name}' is {what}", key.span)
    return None


def _table_rows(
    table: nodes.Table, domains: list[_Domain | None], report: Report
) -> tuple[tuple[tuple[model.TableKey, ...], model.Const], ...]:
    """The rows as written, each key checked against its fact; then every combination of the facts'
    values must meet a row (E213), and every row must be the first to meet one (W106)."""
    rows: list[tuple[tuple[model.TableKey, ...], model.Const, nodes.TableRow]] = []
    for row in table.rows:
        keys = row.keys * len(table.keys) if row.keys == (None,) else row.keys  # a lone `else`: any values
        if len(keys) != len(table.keys):
            report.error("E213", f"a row of '{table.name}' needs {len(table.keys)} keys, one per fact", row.span)
            continue
        if any(keys == earlier for earlier, _, _ in rows):
            report.error("E213", f"table '{table.name}' gives '{table_keys(keys)}' twice", row.span)
            continue
        checks = zip(keys, table.keys, domains, strict=True)
        if all([_key_fits(table.name, key, fact, domain, row, report) for key, fact, domain in checks]):  # every one
            rows.append((keys, _number(row.value), row))
    cells = [_cells(domain, [r[0][i] for r in rows]) for i, domain in enumerate(domains) if domain is not None]
    first: set[int] = set()
    for combination in itertools.product(*cells):
        found = next((i for i, r in enumerate(rows) if all(map(_covers, r[0], combination))), None)
        if found is None:
            shown = ", ".join(c if isinstance(c, str) else f"{c[0]}..{c[1]}" for c in combination)
            report.error(
                "E213", f"table '{table.name}' has no row for {shown}", table.span,
                hint="add a row for it, or one with `else` for any value",
            )  # fmt: skip
            return ()
        first.add(found)
    for i, (keys, _, row) in enumerate(rows):
        if i not in first:
            report.warning("W106", f"the row '{table_keys(keys)}' of table '{table.name}' is never read", row.span)
    return tuple((keys, number) for keys, number, _ in rows)


def _key_fits(
    table: str, key: model.TableKey, fact: nodes.Name, domain: _Domain | None, row: nodes.TableRow, report: Report
) -> bool:
    if domain is None or key is None:
        return True
    fact_type = domain[0]
    if isinstance(fact_type, model.Enum) and isinstance(key, str):
        if key in fact_type.values:
            return True
        hint = suggest(key, fact_type.values) or f"its values are {', '.join(fact_type.values)}"
        report.error("E202", f"'{key}' is not a value of '{fact.name}'", row.span, hint)
    elif isinstance(fact_type, model.Integer) and isinstance(key, tuple):
        if fact_type.low <= key[0] <= key[1] <= fact_type.high:
            return True
        report.error(
            "E213", f"the range {key[0]}..{key[1]} is not within '{fact.name}' ({fact_type.low}..{fact_type.high})",
            row.span,
        )  # fmt: skip
    else:
        wanted = "a value" if isinstance(fact_type, model.Enum) else "a range such as 18..64"
        report.error("E213", f"the key for '{fact.name}' in table '{table}' must be {wanted}", row.span)
    return False


def _cells(domain: _Domain, keys: list[model.TableKey]) -> list[_Cell]:
    fact_type, values = domain
    if isinstance(fact_type, model.Enum):
        return values
    cuts = {fact_type.low, fact_type.high + 1}
    cuts.update(edge for key in keys if isinstance(key, tuple) for edge in (key[0], key[1] + 1))
    ordered = sorted(cuts)
    return [(low, high - 1) for low, high in itertools.pairwise(ordered)]


def _covers(key: model.TableKey, cell: _Cell) -> bool:
    if key is None or isinstance(cell, str):
        return key is None or key == cell
    return isinstance(key, tuple) and key[0] <= cell[0] and cell[1] <= key[1]


def _number(literal: nodes.DecimalLit) -> model.Const:
    exact = Fraction(literal.value)
    return model.Const(int(exact) if exact.denominator == 1 else literal.value, span=literal.span)


def outcome_terms(
    scope: Scope, outcome: nodes.Outcome, report: Report, checker: type[ValueCheck]
) -> tuple[model.Computed, ...]:
    """The terms an outcome carries (`carries { period_days unit "days" = 180 "..." }`): each a
    value of its own, computed from the facts and values, named once in its outcome (E119)."""
    terms: dict[str, model.Computed] = {}
    for term in outcome.carries:
        if term.name in terms:
            report.error("E119", f"'{outcome.name}' carries '{term.name}' twice", term.span)
            continue
        if _in_words(scope, term.expr):
            words = checker(scope, report).words(term.expr)
            if words is not None:
                terms[term.name] = model.Computed(
                    term.name, None, expression(term.expr), fold(term.description), model.facts_read(words),
                    term.span.line, words, True, text=True, span=term.span,
                )  # fmt: skip
            continue
        checked = check_formula(scope, term, report, checker)
        if checked is not None:
            terms[term.name] = checked.value
    return tuple(terms.values())


def _in_words(scope: Scope, expr: nodes.Expr) -> bool:
    """Whether a term is in words: a text, an enum fact, or a choice whose first value is one."""
    while isinstance(expr, nodes.Choice):
        expr = expr.then
    return isinstance(expr, nodes.StrLit) or (
        isinstance(expr, nodes.Name) and isinstance(scope.fact_types.get(expr.name), model.Enum)
    )


def check_formula(
    scope: Scope, value: nodes.Computed, report: Report, checker: type[ValueCheck]
) -> ComputedValue | None:
    """A named number or date computed from facts, with its unit checked against its formula's (E208)."""
    checked = checker(scope, report).quantity(value.expr)
    if checked is None:
        return None
    operand, quantity = checked
    if quantity.kind not in ("number", "date"):
        report.error("E203", f"value '{value.name}' must be a number or a date", value.expr.span)
        return None
    if value.unit is not None and quantity.kind == "number":
        derived, declared = quantity.unit, unit_product(value.unit, None, 1)
        cancelled = derived is None and any(_unit_of(scope, f) for f in model.facts_read(operand))
        if (derived is not None or cancelled) and derived != declared and not (declared == "%" and derived is None):
            shown = derived or "no unit (its units cancel)"
            report.error(
                "E208",
                f"value '{value.name}' is declared in {value.unit}, but its formula gives {shown}",
                value.expr.span,
                hint=f'declare it `unit "{derived}"`' if derived else 'a ratio of like units: `unit "%"`?',
            )  # the value is still declared, as written, so that its uses are not errors too
        quantity = dataclasses.replace(quantity, unit=value.unit)
    computed = model.Computed(
        value.name,
        quantity.unit,
        expression(value.expr),  # the formula as written, in the formatter's layout
        fold(value.description),
        model.facts_read(operand),
        value.span.line,
        operand,
        quantity.whole or quantity.kind == "date",
        quantity.kind == "date",
        span=value.span,
    )
    return ComputedValue(computed, operand, quantity, value.span)


def _unit_of(scope: Scope, fact: str) -> str | None:
    fact_type = scope.fact_types.get(fact)
    return fact_type.unit if isinstance(fact_type, (model.Integer, model.Decimal)) else None


class ValueCheck(Pass):
    def lookup_fact(self, name: nodes.Name) -> model.FactType | None:
        fact_type = self.fact_types.get(name.name)
        if fact_type is None:
            if "." in name.name:
                self.unknown_field(name)
            elif name.name not in self.facts:
                names = self.names()
                hint = suggest_named(name.name, names)
                self.error("E201", f"'{name.name}' is not declared: no fact or value has this name", name.span, hint)
                meant = closest(name.name, names)
                if meant is not None:  # the misspelling is the one cause: what it meant is not also "never read"
                    self.report.used_facts.add(meant)
                    self.report.used_computed.add(meant)
            return None
        if "." not in name.name:
            self.report.used_facts.add(name.name)
        return fact_type

    def names(self) -> dict[str, str]:
        """Every name a condition may read, and how to call it: a fact, a computed value, an enum's value."""
        called = {value: f"'{value}' (a value of '{fact}')" for fact, t in self.fact_types.items()
                  if isinstance(t, (model.Enum, model.EnumSet)) for value in t.values}
        called.update({name: f"value '{name}'" for name in self.computed})
        called.update({name: f"fact '{name}'" for name in self.facts})
        return called

    def unknown_field(self, name: nodes.Name) -> None:
        record, field_name = name.name.split(".", 1)
        fields = [n.split(".", 1)[1] for n in self.fact_types if n.startswith(record + ".")]
        if fields:
            message = f"'{field_name}' is not a field of the record '{record}'"
            self.error("E201", message, name.span, suggest(field_name, fields))
        else:
            self.error(
                "E201",
                f"'{record}' names no record here",
                name.span,
                hint=f"a record is named inside its own `such that` only: `any {record} in LIST such that (...)`",
            )

    def check_condition(self, expr: nodes.Expr) -> model.Expr | None:
        """A condition: typed by `ConditionCheck`, which extends this pass."""
        raise NotImplementedError

    def may_be_absent(self, name: str) -> bool:
        """Whether a fact, or a bound record's field (`trial.end_date`), is declared `or absent`."""
        declaration = self.facts[name]
        if "." not in name:
            return declaration.absent
        assert isinstance(declaration.type, nodes.ListType)
        field_name = name.split(".", 1)[1]
        return any(f.absent for f in declaration.type.fields if f.name == field_name)

    def ref(self, name: nodes.Name, decimal: bool = False) -> model.FactRef | model.FieldRef:
        """A fact, or a field of a record that a quantifier names (`trial.drug`)."""
        if "." in name.name:
            record, field_name = name.name.split(".", 1)
            return model.FieldRef(record, field_name, decimal, self.may_be_absent(name.name), span=name.span)
        return model.FactRef(name.name, decimal, span=name.span)

    def bind(self, binding: nodes.Binding) -> tuple[ValueCheck, model.RecordList] | None:
        """A checker for what is said of each record of a list: its fields are `record.field`."""
        list_type = self.lookup_fact(binding.records)
        if list_type is None:
            return None
        if not isinstance(list_type, model.RecordList):
            message = f"'{binding.records.name}' is {a(list_type.kind)} fact, not a list of records"
            self.error("E203", message, binding.records.span)
            return None
        name = binding.record
        if name in self.facts or name in self.computed or any(n.startswith(name + ".") for n in self.fact_types):
            self.error("E118", f"'{name}' already names a fact, a value or a record here", binding.span)
            return None
        declaration = self.facts[binding.records.name]
        fields = {f"{name}.{f.name}": f.type for f in list_type.fields}
        scope = dataclasses.replace(
            self.scope,
            facts=MappingProxyType({**self.facts, **dict.fromkeys(fields, declaration)}),
            fact_types=MappingProxyType({**self.fact_types, **fields}),
        )
        return type(self)(scope, self.report), list_type

    def needs_quantity(self, expr: nodes.Expr) -> bool:
        """Whether an operand is more than a fact or literal of the original kinds."""
        if isinstance(expr, (nodes.Arithmetic, nodes.Call, nodes.DecimalLit, nodes.DurationLit)):
            return True
        if isinstance(expr, nodes.RecordsAggregate):
            return True
        if isinstance(expr, nodes.Name):
            return expr.name in self.computed or isinstance(
                self.fact_types.get(expr.name), (model.Decimal, model.Code, model.Codes)
            )
        return False

    def quantity(self, expr: nodes.Expr) -> tuple[model.Operand, Quantity] | None:
        if isinstance(expr, nodes.IntLit):
            return model.Const(expr.value, span=expr.span), Quantity(
                "number", None, Fraction(expr.value), Fraction(expr.value)
            )
        if isinstance(expr, nodes.DecimalLit):
            exact = Fraction(expr.value)
            if exact.denominator == 1:  # `35.0` is the whole number 35
                return model.Const(int(exact), span=expr.span), Quantity("number", None, exact, exact)
            return model.Const(expr.value, span=expr.span), Quantity("number", None, exact, exact, whole=False)
        if isinstance(expr, nodes.DurationLit):
            amount = Fraction(expr.amount)
            return model.Const(expr.amount, span=expr.span), Quantity("duration", expr.unit, amount, amount)
        if isinstance(expr, nodes.DateLit):
            return None if expr.value is None else (model.Const(expr.value, span=expr.span), Quantity("date"))
        if isinstance(expr, nodes.Name):
            return self.named_quantity(expr)
        if isinstance(expr, nodes.Arithmetic):
            return self.arithmetic(expr)
        if isinstance(expr, nodes.Call):
            return self.call(expr)
        if isinstance(expr, nodes.RecordsAggregate):
            return self.aggregate(expr)
        if isinstance(expr, nodes.Choice):
            return self.choice(expr)
        self.error("E203", f"expected a number or a date, found {describe(expr)}", expr.span)
        return None

    def extreme(
        self, expr: nodes.Call, name: str, arguments: list[tuple[model.Operand, Quantity]]
    ) -> tuple[model.Operand, Quantity] | None:
        """`max(a, b, ...)`, `min(...)`: of two or more numbers of one unit, or of dates, none dividing."""
        kinds = {q.kind for _, q in arguments}
        units = {q.unit for _, q in arguments if q.unit is not None}
        if len(arguments) < 2 or len(kinds) != 1 or not kinds <= {"number", "date"}:
            self.error("E203", f"{name}() takes two or more numbers, or two or more dates", expr.span)
            return None
        if len(units) > 1:
            self.error("E208", f"{name}() of {' and '.join(sorted(units))}", expr.span)
            return None
        if any(model.divides(a) for a, _ in arguments):
            self.error("E203", f"{name}() of a quotient: compare the quotient in a condition instead", expr.span)
            return None
        operands = tuple(a for a, _ in arguments)
        quantities = [q for _, q in arguments]
        whole = all(q.whole for q in quantities)
        call = model.Call(model.FUNCTIONS[name], operands, span=expr.span)
        if kinds == {"date"}:
            return call, Quantity("date")
        pick = max if name == "max" else min
        lows, highs = [q.low for q in quantities], [q.high for q in quantities]
        low = None if None in lows else pick(q for q in lows if q is not None)
        high = None if None in highs else pick(q for q in highs if q is not None)
        return call, Quantity("number", units.pop() if units else None, low, high, whole=whole)

    def words(self, expr: nodes.Expr) -> model.Operand | None:
        """A term in words: a text (`"sleep only"`), an enum fact's value, or a choice between them."""
        if isinstance(expr, nodes.StrLit):
            return model.Const(expr.value, span=expr.span)
        if isinstance(expr, nodes.Name) and isinstance(self.fact_types.get(expr.name), model.Enum):
            self.lookup_fact(expr)  # read: not unused
            return model.FactRef(expr.name, span=expr.span)
        if isinstance(expr, nodes.Choice):
            condition = self.check_condition(expr.condition)
            then, otherwise = self.words(expr.then), self.words(expr.otherwise)
            if condition is None or then is None or otherwise is None:
                return None
            return model.Choice(condition, then, otherwise, span=expr.span)
        self.error("E203", f"a term in words is a text or an enum fact, not {describe(expr)}", expr.span)
        return None

    def choice(self, expr: nodes.Choice) -> tuple[model.Operand, Quantity] | None:
        """`a when CONDITION otherwise b`, a term: two numbers of one unit, or two dates, that never divide."""
        condition = self.check_condition(expr.condition)
        then, otherwise = self.quantity(expr.then), self.quantity(expr.otherwise)
        if condition is None or then is None or otherwise is None:
            return None
        (a, qa), (b, qb) = then, otherwise
        if qa.kind != qb.kind or qa.kind not in ("number", "date"):
            self.error(
                "E203", f"a choice is between two numbers or two dates, not {qa.describe()} and {qb.describe()}",
                expr.span,
            )  # fmt: skip
            return None
        if qa.unit is not None and qb.unit is not None and qa.unit != qb.unit:
            self.error("E208", f"a choice between {qa.unit} and {qb.unit}", expr.span)
            return None
        if model.divides(a) or model.divides(b):
            self.error(
                "E203", "a value chosen by a condition cannot divide", expr.span,
                hint="compare the quotient in a condition, or choose between values that do not divide",
            )  # fmt: skip
            return None
        low = None if qa.low is None or qb.low is None else min(qa.low, qb.low)
        high = None if qa.high is None or qb.high is None else max(qa.high, qb.high)
        whole = qa.whole and qb.whole
        quantity = Quantity(qa.kind, qa.unit or qb.unit, low, high, whole=whole)
        return model.Choice(condition, a, b, whole or qa.kind == "date", span=expr.span), quantity

    def aggregate(self, expr: nodes.RecordsAggregate) -> tuple[model.Operand, Quantity] | None:
        """count, sum, min, max, latest or earliest over the records of a list that a condition selects."""
        function = model.AGGREGATE_FUNCTIONS.get(expr.function.name)
        if function is None or (function == "count") != (expr.value is None):
            names = ("count",) if expr.value is None else tuple(model.AGGREGATE_FUNCTIONS)[1:]
            shape = "count(x in LIST such that ...)" if expr.value is None else "FUNCTION(x.FIELD for x in LIST ...)"
            hint = suggest(expr.function.name, names) or f"{shape}, FUNCTION one of {', '.join(names)}"
            self.error("E210", f"'{expr.function.name}' does not take records this way", expr.function.span, hint)
            return None
        bound = self.bind(expr.binding)
        if bound is None:
            return None
        inner, list_type = bound
        where = None
        if expr.where is not None:
            where = inner.check_condition(expr.where)
            if where is None:
                return None
        records = model.Records(expr.binding.records.name, expr.binding.record, where, span=expr.binding.span)
        if function == "count":
            return model.Aggregate("count", records, span=expr.span), Quantity("number", None, Fraction(0), None)
        assert expr.value is not None
        checked = inner.quantity(expr.value)
        if checked is None:
            return None
        value, q = checked
        wanted = ("number",) if function == "sum" else ("number", "date")
        if q.kind not in wanted:
            self.error("E203", f"{function}() takes {' or '.join(wanted)}s, found {q.describe()}", expr.value.span)
            return None
        order = list_type.order if function in ("latest", "earliest") else None
        if function in ("latest", "earliest") and order is None:
            self.error("E203", f"{function}() orders records by a date field, and '{records.fact}' has none", expr.span)
            return None
        if function == "sum":
            low = Fraction(0) if q.low is not None and q.low >= 0 else None
            high = Fraction(0) if q.high is not None and q.high <= 0 else None
            whole = q.whole
            aggregate = model.Aggregate("sum", records, value, whole=whole, span=expr.span)
            return aggregate, Quantity("number", q.unit, low, high, whole=whole)
        if expr.fallback is None:
            self.error(
                "E211",
                f"say what {function}() is when no record is selected",
                expr.span,
                hint=f"`{function}(...) else VALUE`: a date or number, such as the date of service",
            )
            return None
        fallback = self.quantity(expr.fallback)
        if fallback is None:
            return None
        other, qf = fallback
        if qf.kind != q.kind or (q.unit and qf.unit and q.unit != qf.unit):
            message = f"the value when no record is selected is {qf.describe()}, not like {q.describe()}"
            self.error("E203", message, expr.fallback.span)
            return None
        if q.kind == "date" and (model.shifts(other) or model.shifts(value)):
            moved = expr.fallback if model.shifts(other) else expr.value
            self.error(
                "E211",
                f"{function}() of dates takes dates as they are: a moved date is not supported yet",
                moved.span,
                hint="name a date field, fact or date, and move the result outside: `max(...) else d + 30 days`",
            )
            return None
        low = None if q.low is None or qf.low is None else min(q.low, qf.low)
        high = None if q.high is None or qf.high is None else max(q.high, qf.high)
        whole = (q.whole and qf.whole) or q.kind == "date"
        aggregate = model.Aggregate(function, records, value, other, order, whole, span=expr.span)
        return aggregate, Quantity(q.kind, q.unit or qf.unit, low, high, whole=q.whole and qf.whole)

    def named_quantity(self, name: nodes.Name) -> tuple[model.Operand, Quantity] | None:
        if name.name in self.computed:
            self.report.used_computed.add(name.name)
            value = self.computed[name.name]
            operand, quantity = value.operand, value.quantity
            whole = quantity.whole or quantity.kind == "date"
            return model.ValueRef(name.name, operand, whole, span=name.span), quantity
        if name.name in self.codesets:
            return model.CodeSetRef(name.name, span=name.span), Quantity("collection")
        fact_type = self.lookup_fact(name)
        if fact_type is None:
            return None
        ref = self.ref(name)
        if isinstance(fact_type, model.Integer):
            return ref, Quantity("number", fact_type.unit, Fraction(fact_type.low), Fraction(fact_type.high))
        if isinstance(fact_type, model.Decimal):
            low, high = Fraction(fact_type.low), Fraction(fact_type.high)
            return self.ref(name, decimal=True), Quantity(
                "number", fact_type.unit, low, high, whole=False
            )
        if isinstance(fact_type, model.Date):
            return ref, Quantity("date")
        if isinstance(fact_type, (model.EnumSet, model.Codes)):
            size = Fraction(len(fact_type.values)) if isinstance(fact_type, model.EnumSet) else None
            return ref, Quantity("collection", None, Fraction(0), size)
        self.error("E203", f"'{name.name}' is {a(fact_type.kind)} fact, not a number or a date", name.span)
        return None

    def arithmetic(self, expr: nodes.Arithmetic) -> tuple[model.Operand, Quantity] | None:
        left, right = self.quantity(expr.left), self.quantity(expr.right)
        if left is None or right is None:
            return None
        (a, qa), (b, qb) = left, right
        op = model.ARITH_OPS[expr.op]
        if qa.kind == "date" and qb.kind == "duration" and op in "+-":
            base, factor = TIME_UNITS[qb.unit or "days"]
            assert isinstance(b, model.Const) and isinstance(b.value, int)
            amount = b.value * factor * (1 if op == "+" else -1)
            return model.Shift(a, amount, base, span=expr.span), Quantity("date")
        if qa.kind == "date" and qb.kind == "number" and qb.unit in TIME_UNITS and op in "+-":
            if not qb.whole:
                self.error("E203", f"a date moves by a whole number of {qb.unit}", expr.right.span)
                return None
            base, factor = TIME_UNITS[qb.unit or "days"]
            return model.Shift(a, factor * (1 if op == "+" else -1), base, b, span=expr.span), Quantity("date")
        if qa.kind == "date" and qb.kind == "date" and op == "-":
            self.error(
                "E203",
                "a date minus a date is not a number: say which count you mean",
                expr.span,
                hint="days_between(EARLIER, LATER), months_between(...) or years_between(...)",
            )
            return None
        if qa.kind != "number" or qb.kind != "number":
            self.error(
                "E203",
                f"cannot compute {qa.describe()} {op} {qb.describe()}",
                expr.span,
                hint="arithmetic works on numbers, and `DATE + N days|weeks|months|years` moves a date",
            )
            return None
        whole = qa.whole and qb.whole and op != "/"
        if op in "+-":
            if qa.unit and qb.unit and qa.unit != qb.unit:
                self.error("E208", f"cannot {'add' if op == '+' else 'subtract'} {qb.unit} and {qa.unit}", expr.span)
                return None
            bounds = add(qa, qb) if op == "+" else add(qa, Quantity("number", None, neg(qb.high), neg(qb.low)))
            return model.Arith(op, a, b, span=expr.span), Quantity("number", qa.unit or qb.unit, *bounds, whole=whole)
        if op == "/" and (qb.low is None or qb.high is None or qb.low <= 0 <= qb.high):
            shown = fmt_range(qb)
            self.error(
                "E209",
                f"the divisor may be zero: it ranges over {shown}",
                expr.right.span,
                hint="divide by a fact whose declared range excludes 0",
            )
            return None
        unit = unit_product(qa.unit, qb.unit, 1 if op == "*" else -1)
        sign = 0 if op != "/" else 1 if qb.low is not None and qb.low > 0 else -1
        return model.Arith(op, a, b, sign, span=expr.span), Quantity("number", unit, *multiply(qa, qb, op), whole=whole)

    def call(self, expr: nodes.Call) -> tuple[model.Operand, Quantity] | None:
        name = expr.function.name
        if name not in FUNCTIONS:
            listed = "the functions are " + ", ".join(FUNCTIONS)
            close = suggest(name, FUNCTIONS)
            hint = f"{close} ({listed})" if close else listed
            self.error("E210", f"'{name}' is not a function", expr.function.span, hint)
            return None
        wanted = {"count": ("collection",), "month_start": ("date",)}.get(name, ("date", "date"))
        checked = [self.quantity(a) for a in expr.arguments]
        arguments = [a for a in checked if a is not None]
        if len(arguments) != len(checked):
            return None
        if name in ("max", "min"):
            return self.extreme(expr, name, arguments)
        if tuple(q.kind for _, q in arguments) != wanted:
            shown = {"count": "a set fact or a list of codes", "month_start": "one date"}.get(name, "two dates")
            self.error("E203", f"{name}() takes {shown}", expr.span, hint=FUNCTIONS[name])
            return None
        operands = tuple(o for o, _ in arguments)
        if name == "count":
            return model.Call("count", operands, span=expr.span), Quantity(
                "number", None, Fraction(0), arguments[0][1].high
            )
        if name == "month_start":
            return model.Call("month_start", operands, span=expr.span), Quantity("date")
        unit = name.removesuffix("_between").removeprefix("calendar_")
        return model.Call(model.FUNCTIONS[name], operands, span=expr.span), Quantity("number", unit)

    def compare_quantities(self, expr: nodes.Comparison) -> model.Expr | None:
        left, right = self.quantity(expr.left), self.quantity(expr.right)
        if left is None or right is None:
            return None
        (a, qa), (b, qb) = left, right
        op = model.COMPARE_OPS[expr.op]
        if qa.kind == "duration" and qb.kind != "duration":  # the number on the left: `12 weeks < days_between(...)`
            (a, qa), (b, qb) = (b, qb), (a, qa)
            op = model.MIRRORED[op]
        if qb.kind == "duration":
            base, factor = TIME_UNITS[qb.unit or "days"]
            if qa.kind != "number" or qa.unit not in (("days",) if base == "days" else ("months", "years")):
                counted = f"counted in {qa.unit}" if qa.unit else "with no unit of time"
                self.error(
                    "E208",
                    f"cannot compare {qa.describe() if qa.kind != 'number' else 'a number ' + counted} with {qb.unit}",
                    expr.span,
                    hint="days and weeks compare with days_between(), months and years with months_between()",
                )
                return None
            assert isinstance(b, model.Const) and isinstance(b.value, int)
            amount = b.value * factor // (12 if qa.unit == "years" else 1)
            if qa.unit == "years" and (b.value * factor) % 12:
                self.error("E208", f"{b.value} {qb.unit} is not a whole number of years", expr.right.span)
                return None
            b, qb = (
                model.Const(amount, span=expr.right.span),
                Quantity("number", qa.unit, Fraction(amount), Fraction(amount)),
            )
        if qa.kind != qb.kind or qa.kind not in ("number", "date"):
            self.error("E203", f"cannot compare {qa.describe()} with {qb.describe()}", expr.span)
            return None
        if qa.unit and qb.unit and qa.unit != qb.unit:
            self.error("E208", f"cannot compare {qa.unit} with {qb.unit}", expr.span)
            return None
        if isinstance(a, model.Const) and not isinstance(b, model.Const):
            (a, qa), (b, qb) = (b, qb), (a, qa)
            op = model.MIRRORED[op]
        if isinstance(b, model.Const) and isinstance(b.value, (int, decimal.Decimal)) and not isinstance(b.value, bool):
            self.check_reachable_range(expr, qa, op, Fraction(b.value))
        return model.Compare(op, a, b, span=expr.span)

    def check_reachable_range(self, expr: nodes.Comparison, q: Quantity, op: model.CompareOp, n: Fraction) -> None:
        if not can_hold(q.low, q.high, op, n):
            self.error("E204", f"this comparison can never be true: the value ranges over {fmt_range(q)}", expr.span)

    def check_value(self, expr: nodes.Expr, fact_type: model.FactType, fact: str) -> model.Const | None:
        """A literal compared with a fact of `fact_type`."""
        if isinstance(fact_type, model.Enum):
            if isinstance(expr, nodes.Name) and expr.name not in self.facts:
                if expr.name not in fact_type.values:
                    self.error(
                        "E202",
                        f"'{expr.name}' is not a value of '{fact}'",
                        expr.span,
                        suggest(expr.name, fact_type.values) or f"its values are {', '.join(fact_type.values)}",
                    )
                    return None
                return model.Const(expr.name, span=expr.span)
            self.error(
                "E203",
                f"'{fact}' is an enum; compare it with one of its values ({', '.join(fact_type.values)})",
                expr.span,
            )
            return None
        expected = {
            model.Boolean: (nodes.BoolLit, "true or false"),
            model.Integer: (nodes.IntLit, "a whole number"),
            model.Date: (nodes.DateLit, "a date (YYYY-MM-DD)"),
            model.String: (nodes.StrLit, "a string"),
        }
        node_type, description = expected[type(fact_type)]
        if not isinstance(expr, node_type):
            if isinstance(expr, nodes.Name) and not self._is_fact(expr) and not isinstance(fact_type, model.Enum):
                hint = suggest(expr.name, self.facts)
                if hint:
                    self.error("E201", f"fact '{expr.name}' is not declared", expr.span, hint)
                    return None
            self.error(
                "E203",
                f"'{fact}' is {a(fact_type.kind)} fact; expected {description}, found {describe(expr)}",
                expr.span,
            )
            return None
        if isinstance(expr, nodes.DateLit):
            return None if expr.value is None else model.Const(expr.value, span=expr.span)
        assert isinstance(expr, (nodes.BoolLit, nodes.IntLit, nodes.StrLit))
        if isinstance(fact_type, model.String) and fact_type.pattern and isinstance(expr, nodes.StrLit):
            if not re.fullmatch(fact_type.pattern, expr.value):
                self.error(
                    "E204", f"\"{expr.value}\" never matches the pattern of '{fact}' ({fact_type.pattern})", expr.span
                )
                return None
        return model.Const(expr.value, span=expr.span)

    def _is_fact(self, expr: nodes.Expr) -> bool:
        return isinstance(expr, nodes.Name) and (expr.name in self.facts or not self._is_value_name(expr.name))

    def _is_value_name(self, name: str) -> bool:
        return any(isinstance(t, (model.Enum, model.EnumSet)) and name in t.values for t in self.fact_types.values())
