"""The request table's values checked in SQL, with the evaluator's words for each bad field.

The column types say what kind each value is; what is left to check is what the evaluator checks
of a value of the right kind: ranges, enum values, code formats, repeated items, a record's
fields, and what may be absent. Each check gives a list of (field, message) structs, empty when
the value is fine, and a row's errors are all of them, sorted as the evaluator sorts them.
"""

from __future__ import annotations

from sqlglot import exp

from compiler import model
from compiler.targets.sql.columns import ABSENT, SCALE, digits
from compiler.targets.sql.lower import (
    all_of,
    any_of,
    case,
    concat,
    contains,
    either,
    filtered,
    is_null,
    lit,
    not_null,
    size,
    transformed,
)

ERROR = exp.DataType.build("STRUCT<field: STRING, message: STRING>", dialect="spark")
ERRORS = exp.DataType.build("ARRAY<STRUCT<field: STRING, message: STRING>>", dialect="spark")
NONE = exp.cast(exp.Array(expressions=[]), ERRORS)


def error(field: exp.Expr, message: exp.Expr) -> exp.Expr:
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier("field"), expression=field),
            exp.PropertyEQ(this=exp.to_identifier("message"), expression=message),
        ]
    )


def text(*parts: exp.Expr | str) -> exp.Expr:
    pieces = [exp.Literal.string(p) if isinstance(p, str) else p for p in parts]
    result = pieces[0]
    for piece in pieces[1:]:
        result = exp.DPipe(this=result, expression=piece, safe=True)
    return result


def quoted(value: exp.Expr) -> exp.Expr:
    """The evaluator's quote(): the text in double quotes, cut after 40 characters."""
    cut = case(
        (exp.LTE(this=exp.Length(this=value), expression=exp.Literal.number(40)), value),
        default=text(exp.Substring(this=value, start=exp.Literal.number(1), length=exp.Literal.number(40)), "..."),
    )
    return text('"', cut, '"')


def when(bad: exp.Expr, field: exp.Expr, message: exp.Expr) -> exp.Expr:
    """One error in a list when `bad` holds (NULL, an unknown value, is never bad), else none."""
    return case((either(bad, False), exp.Array(expressions=[error(field, message)])), default=NONE)


class Checks:
    """The checks of one policy's request table; `index_base` is where a dialect's lambda index starts."""

    def __init__(self, policy: model.Policy, index_base: int) -> None:
        self.policy = policy
        self.index_base = index_base

    def row(self, prior: str | None = None) -> exp.Expr:
        """A row's errors, sorted; with those of the column `prior` (found before the table was made).
        Most rows have none: a test of plain comparisons finds those, so that only the others build
        and sort their lists of errors."""
        found: list[exp.Expr] = (
            [] if prior is None else [case((is_null(exp.column(prior)), NONE), default=exp.column(prior))]
        )
        found += [self.value(f.type, exp.column(f.name), exp.Literal.string(f.name), 0) for f in self.policy.facts]
        found.append(self.absences(exp.column(ABSENT), [(f.name, f.absent) for f in self.policy.facts], None))
        given = [f.name for f in self.policy.facts]
        for name in given:  # a value and an absence both: the request contradicts itself
            said = either(contains(exp.column(ABSENT), exp.Literal.string(name)), False)
            found.append(
                when(
                    all_of([said, not_null(exp.column(name))]),
                    exp.Literal.string(name),
                    exp.Literal.string("is both given and absent"),
                )
            )
        lists = [exp.column(ABSENT), *([exp.column(prior)] if prior else [])]
        lists += [exp.column(f.name) for f in self.policy.facts if isinstance(f.type, model.EnumSet | model.Codes)]
        lists += [exp.column(f.name) for f in self.policy.facts if isinstance(f.type, model.RecordList)]
        fine = [_none(items) for items in lists]
        for f in self.policy.facts:
            bad = self.scalar_bad(f.type, exp.column(f.name))
            if bad is not None:
                fine.append(exp.Not(this=either(bad, False)))
        return case((all_of(fine), NONE), default=exp.ArraySort(this=concat(found, NONE)))

    def scalar_bad(self, t: model.FactType, v: exp.Expr) -> exp.Expr | None:
        """Whether a single value breaks its declaration (NULL when it is unknown); None: it cannot."""
        if isinstance(t, model.Integer):
            return exp.Not(this=exp.Between(this=v, low=lit(t.low), high=lit(t.high)))
        if isinstance(t, model.Decimal):
            return any_of([_out_of(t, v), _too_precise(t, v)])
        if isinstance(t, model.Enum):
            return exp.Not(this=exp.In(this=v, expressions=[lit(x) for x in t.values]))
        if isinstance(t, model.Code):
            return exp.Not(this=_matches(v, model.CODE_SYSTEMS[t.system][0]))
        if isinstance(t, model.String):
            return None if t.pattern is None else exp.Not(this=_matches(v, t.pattern))
        if isinstance(t, model.Date):
            return exp.Not(this=exp.Between(this=exp.Year(this=v), low=lit(1), high=lit(9999)))
        return None

    def absences(self, names: exp.Expr, allowed: list[tuple[str, bool]], where: exp.Expr | None) -> exp.Expr:
        """What a request (or record, at `where`) says is absent: only what the policy allows."""
        may = [name for name, absent in allowed if absent]
        known = [name for name, _ in allowed]
        item = exp.column("_name")
        field = item if where is None else text(where, ".", item)
        message = case(
            (
                exp.In(this=item, expressions=[lit(n) for n in known]),
                exp.Literal.string("cannot be absent: the policy gives no meaning to its absence"),
            ),
            default=exp.Literal.string(
                "not a fact of this policy" if where is None else "not a field of these records"
            ),
        )
        bad = exp.Not(this=exp.In(this=item, expressions=[lit(n) for n in may])) if may else exp.true()
        each = filtered(names, "_name", either(bad, True))
        return case((is_null(names), NONE), default=transformed(each, "_name", error(field, message)))

    def value(self, t: model.FactType, v: exp.Expr, field: exp.Expr, depth: int) -> exp.Expr:
        if isinstance(t, model.Decimal):
            return case(
                (
                    either(_out_of(t, v), False),
                    exp.Array(
                        expressions=[error(field, exp.Literal.string(f"must be a number from {t.low} to {t.high}"))]
                    ),
                ),
                (either(_too_precise(t, v), False), exp.Array(expressions=[error(field, exp.Literal.string(PLACES))])),
                default=NONE,
            )
        if isinstance(t, model.Code):
            return self.code(t.system, v, field)
        if isinstance(t, model.EnumSet | model.Codes):
            return self.items(t, v, field, depth)
        if isinstance(t, model.RecordList):
            return self.records(t, v, field, depth)
        bad = self.scalar_bad(t, v)
        if bad is None:
            return NONE  # a boolean, or text of any form: its type says it all
        if isinstance(t, model.Integer):
            return when(bad, field, exp.Literal.string(f"must be an integer from {t.low} to {t.high}"))
        if isinstance(t, model.Enum):
            return when(bad, field, text(quoted(v), f" is not one of: {', '.join(t.values)}"))
        if isinstance(t, model.String):
            return when(bad, field, text(quoted(v), f" does not match {t.pattern}"))
        return when(bad, field, exp.Literal.string("is not a date in the form YYYY-MM-DD"))

    def code(self, system: str, v: exp.Expr, field: exp.Expr) -> exp.Expr:
        pattern, description = model.CODE_SYSTEMS[system]
        name = description.split(" (")[0]
        article = "an" if name[0] in "AEFHILMNORSX" else "a"  # an ICD-10-CM, a CPT: as said aloud
        return when(exp.Not(this=_matches(v, pattern)), field, text(quoted(v), f" is not {article} {name} code"))

    def _each(self, items: exp.Expr, depth: int, body: exp.Expr) -> exp.Expr:
        """`body` for each item (`_item{depth}`, at index `_i{depth}` from 0), flattened into one list."""
        lam = exp.Lambda(this=body, expressions=[exp.to_identifier(f"_item{depth}"), exp.to_identifier(f"_i{depth}")])
        return case((is_null(items), NONE), default=exp.Flatten(this=exp.Transform(this=items, expression=lam)))

    def _at(self, field: exp.Expr, depth: int) -> exp.Expr:
        index: exp.Expr = exp.column(f"_i{depth}")
        if self.index_base:
            index = exp.Sub(this=index, expression=exp.Literal.number(self.index_base))
        return text(field, "[", exp.cast(index, exp.DataType.build("VARCHAR")), "]")

    def items(self, t: model.EnumSet | model.Codes, v: exp.Expr, field: exp.Expr, depth: int) -> exp.Expr:
        item, at = exp.column(f"_item{depth}"), self._at(field, depth)
        if isinstance(t, model.EnumSet):
            wrong = when(
                exp.Not(this=exp.In(this=item, expressions=[lit(x) for x in t.values])),
                at,
                text(quoted(item), f" is not one of: {', '.join(t.values)}"),
            )
        else:
            wrong = self.code(t.system, item, at)
        repeated = when(self._repeated(v, item, depth), at, text(quoted(item), " is repeated"))
        null = exp.Array(expressions=[error(at, exp.Literal.string("expected a string, got null"))])
        return self._each(v, depth, case((is_null(item), null), default=concat([wrong, repeated], NONE)))

    def _repeated(self, v: exp.Expr, item: exp.Expr, depth: int) -> exp.Expr:
        """Whether the item comes earlier in the list: each later copy is reported, as the evaluator does."""
        same = all_of(
            [
                exp.EQ(this=exp.column("_other"), expression=item),
                exp.LT(this=exp.column("_j"), expression=exp.column(f"_i{depth}")),
            ]
        )
        earlier = exp.Lambda(this=same, expressions=[exp.to_identifier("_other"), exp.to_identifier("_j")])
        return exp.GT(this=size(exp.ArrayFilter(this=v, expression=earlier)), expression=exp.Literal.number(0))

    def records(self, t: model.RecordList, v: exp.Expr, field: exp.Expr, depth: int) -> exp.Expr:
        record, at = exp.column(f"_item{depth}"), self._at(field, depth)
        found = []
        for f in t.fields:
            value = exp.Dot(this=record, expression=exp.to_identifier(f.name))
            found.append(self.value(f.type, value, text(at, f".{f.name}"), depth + 1))
            said = either(
                contains(exp.Dot(this=record, expression=exp.to_identifier(ABSENT)), exp.Literal.string(f.name)), False
            )
            found.append(
                when(
                    all_of([said, not_null(value)]),
                    text(at, f".{f.name}"),
                    exp.Literal.string("is both given and absent"),
                )
            )
        names = exp.Dot(this=record, expression=exp.to_identifier(ABSENT))
        found.append(self.absences(names, [(f.name, f.absent) for f in t.fields], at))
        null = exp.Array(expressions=[error(at, exp.Literal.string("expected an object, got null"))])
        return self._each(v, depth, case((is_null(record), null), default=concat(found, NONE)))


PLACES = f"has more than {SCALE} digits after the decimal point, the most the SQL target reads exactly"


def _out_of(t: model.Decimal, v: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Between(this=v, low=lit(t.low), high=lit(t.high)))


def _too_precise(t: model.Decimal, v: exp.Expr) -> exp.Expr:
    """More places than SCALE: the value differs from itself cut to SCALE places."""
    wide = f"DECIMAL({max(digits(t.low), digits(t.high)) + 1 + 30}, 30)"
    rounded = exp.cast(exp.cast(v, exp.DataType.build(f"DECIMAL(38, {SCALE})")), exp.DataType.build(wide))
    return exp.NEQ(this=exp.cast(v, exp.DataType.build(wide)), expression=rounded)


def _none(items: exp.Expr) -> exp.Expr:
    """An unknown or empty list, which has nothing to check."""
    return any_of([is_null(items), exp.EQ(this=size(items), expression=exp.Literal.number(0))])


def _matches(value: exp.Expr, pattern: str) -> exp.Expr:
    return exp.RegexpLike(this=value, expression=exp.Literal.string(f"^(?:{pattern})$"))


def any_error(errors: exp.Expr) -> exp.Expr:
    return exp.GT(this=size(errors), expression=exp.Literal.number(0))


__all__ = ["Checks", "ERRORS", "NONE", "PLACES", "any_error", "error"]
