"""The Python target's intermediate form: a small typed tree of the Python it writes.

The lowering (`lower.py`) builds it from the checked model; the printer (`printer.py`)
alone turns it into text, so layout never changes what the program does.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- Expressions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Name:
    id: str  # a local, a parameter, a module constant or function, True/False/None


@dataclass(frozen=True, slots=True)
class Lit:
    value: str | int | float | bool | None | tuple[str | int, ...]  # written with repr()


@dataclass(frozen=True, slots=True)
class Attr:
    value: Expr
    attr: str


@dataclass(frozen=True, slots=True)
class Subscript:
    value: Expr
    index: int | Expr


@dataclass(frozen=True, slots=True)
class Call:
    func: Expr
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # + - *
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >= in, not in, is, is not
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Between:
    """`low <= value <= high`."""

    low: Expr
    value: Expr
    high: Expr


@dataclass(frozen=True, slots=True)
class Walrus:
    """`(name := value)`."""

    target: str
    value: Expr


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # and, or
    values: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class IfExp:
    test: Expr
    body: Expr
    orelse: Expr


@dataclass(frozen=True, slots=True)
class Tuple:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class List:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Set:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class ListComp:
    """`[element for target in iterable]`: a condition or value for each record of a list."""

    element: Expr
    target: str
    iterable: Expr


@dataclass(frozen=True, slots=True)
class Lambda:
    params: tuple[str, ...]
    body: Expr


Expr = (
    Name
    | Lit
    | Attr
    | Subscript
    | Call
    | BinOp
    | Compare
    | Between
    | Walrus
    | BoolOp
    | Not
    | IfExp
    | Tuple
    | List
    | Set
    | ListComp
    | Lambda
)

# -- Statements ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assign:
    target: str
    value: Expr


@dataclass(frozen=True, slots=True)
class AugAssign:
    target: str
    op: str  # |= +=
    value: Expr


@dataclass(frozen=True, slots=True)
class Do:
    """An expression evaluated for its effect: `missing.add('age')`."""

    value: Expr


@dataclass(frozen=True, slots=True)
class Return:
    value: Expr


@dataclass(frozen=True, slots=True)
class If:
    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()


@dataclass(frozen=True, slots=True)
class Try:
    body: tuple[Stmt, ...]
    exception: str
    handler: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # printable ASCII, one line
    blank_before: bool = False


Stmt = Assign | AugAssign | Do | Return | If | Try | Comment

# -- Shorthands for the lowering ------------------------------------------------------------------

NONE = Lit(None)
F = Name("f")  # the validated facts, in every generated function


def fact(name: str) -> Attr:
    return Attr(F, name)


def call(function: str, *args: Expr) -> Call:
    return Call(Name(function), args)


def is_none(value: Expr) -> Compare:
    return Compare("is", value, NONE)


def any_none(facts: tuple[str, ...] | list[str]) -> Expr:
    """`f.a is None or f.b is None`: whether one of these facts is unknown."""
    tests = tuple(is_none(fact(name)) for name in facts)
    return (tests[0] if len(tests) == 1 else BoolOp("or", tests)) if tests else Lit(False)


def all_known(facts: tuple[str, ...] | list[str]) -> Expr:
    """`f.a is not None and f.b is not None`."""
    tests = tuple(Compare("is not", fact(name), NONE) for name in facts)
    return (tests[0] if len(tests) == 1 else BoolOp("and", tests)) if tests else Lit(True)
