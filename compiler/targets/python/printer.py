"""The printer: `pyir` -> Python text. It alone owns indentation and line width.

An expression is written on one line when it fits in WIDTH columns; else it is broken at
its outermost operator, one operand a line inside brackets, and each operand in turn.
Brackets are added where precedence needs them, and around a conditional expression or a
mix of `and` and `or`, where a reader needs them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import assert_never

from compiler.targets.python import pyir
from compiler.targets.python.pyir import Expr, Stmt
from compiler.targets.templating import WIDTH, literal

INDENT = "    "

# How tightly each expression binds, loosest first, as in Python's grammar.
_IF, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _ATOM = range(1, 9)


def block(statements: Sequence[Stmt], indent: int) -> str:
    """Statements as lines indented by `indent` columns, without a final newline."""
    with _remembering():
        return "\n".join(_statement_lines(statements, indent))


def expression(e: Expr, indent: int = 0, taken: int = 0, after: int = 0) -> str:
    """`e` on a line indented by `indent`, `taken` columns of it already used and `after` to follow."""
    with _remembering():
        text = _flat(e)
        if indent + taken + len(text) + after <= WIDTH:
            return text
        return _broken(e, indent)


# Breaking a line measures its parts again and again: each node's one-line text is made once per
# printing, and kept (with the node, so that its id stays its own) until the printing ends.
_FLAT: dict[int, tuple[Expr, str]] = {}
_DEPTH = [0]


@contextlib.contextmanager
def _remembering() -> Iterator[None]:
    _DEPTH[0] += 1
    try:
        yield
    finally:
        _DEPTH[0] -= 1
        if not _DEPTH[0]:
            _FLAT.clear()


def _statement_lines(statements: Sequence[Stmt], indent: int) -> list[str]:
    pad, lines = " " * indent, []
    for s in statements:
        if isinstance(s, pyir.Assign | pyir.AugAssign):
            head = f"{s.target} = " if isinstance(s, pyir.Assign) else f"{s.target} {s.op} "
            lines.append(pad + head + expression(s.value, indent, len(head)))
        elif isinstance(s, pyir.Do):
            lines.append(pad + expression(s.value, indent))
        elif isinstance(s, pyir.Return):
            lines.append(f"{pad}return {expression(s.value, indent, len('return '))}")
        elif isinstance(s, pyir.If):
            lines.append(f"{pad}if {expression(s.test, indent, len('if '), len(':'))}:")
            lines += _statement_lines(s.body, indent + 4)
            orelse = s.orelse
            while len(orelse) == 1 and isinstance(orelse[0], pyir.If):  # else: if ...: as elif ...:
                lines.append(f"{pad}elif {expression(orelse[0].test, indent, len('elif '), len(':'))}:")
                lines += _statement_lines(orelse[0].body, indent + 4)
                orelse = orelse[0].orelse
            if orelse:
                lines.append(f"{pad}else:")
                lines += _statement_lines(orelse, indent + 4)
        elif isinstance(s, pyir.Try):
            lines.append(f"{pad}try:")
            lines += _statement_lines(s.body, indent + 4)
            lines.append(f"{pad}except {s.exception}:")
            lines += _statement_lines(s.handler, indent + 4)
        elif isinstance(s, pyir.Comment):
            lines += ["", f"{pad}# {s.text}"] if s.blank_before else [f"{pad}# {s.text}"]
        else:
            assert_never(s)
    return lines


def _precedence(e: Expr) -> int:
    kind = type(e)
    if kind is pyir.BoolOp:
        return _OR if e.op == "or" else _AND  # type: ignore[union-attr]
    if kind is pyir.BinOp:
        return _PRODUCT if e.op == "*" else _SUM  # type: ignore[union-attr]
    return _PRECEDENCES.get(kind, _ATOM)


_PRECEDENCES: dict[type, int] = {pyir.Lambda: _IF - 1}
_PRECEDENCES |= {pyir.IfExp: _IF, pyir.Not: _NOT, pyir.Compare: _COMPARE, pyir.Between: _COMPARE}
_ATOMS = frozenset(
    {pyir.Name, pyir.Lit, pyir.Attr, pyir.Subscript, pyir.Call, pyir.Walrus, pyir.Tuple, pyir.List, pyir.Set}
    | {pyir.ListComp}
)


def _operand(e: Expr, parent: Expr, strictly: bool = False) -> str:
    """An operand of `parent`, in brackets when it binds more loosely (or as loosely, when `strictly`)."""
    if type(e) in _ATOMS:  # most operands: never bracketed
        return _flat(e)
    own, theirs = _precedence(e), _precedence(parent)
    mixed = isinstance(e, pyir.BoolOp) and isinstance(parent, pyir.BoolOp)  # `(a and b) or c`: say so
    text = _flat(e)
    return f"({text})" if own < theirs or (strictly and own == theirs) or mixed else text


def _item(e: Expr) -> str:
    """An item of a call, tuple or set; a conditional expression in brackets, to be read as one."""
    text = _flat(e)
    return f"({text})" if isinstance(e, pyir.IfExp) else text


def flat(e: Expr) -> str:
    """`e` on one line, however long."""
    return _flat(e)


def _flat(e: Expr) -> str:
    if type(e) is pyir.Name:
        return e.id
    known = _FLAT.get(id(e))
    if known is not None and known[0] is e:
        return known[1]
    text = _one_line(e)
    _FLAT[id(e)] = (e, text)
    return text


def _one_line(e: Expr) -> str:
    if isinstance(e, pyir.Name):
        return e.id
    if isinstance(e, pyir.Lit):
        return repr(e.value)
    if isinstance(e, pyir.Attr):
        return f"{_operand(e.value, e)}.{e.attr}"
    if isinstance(e, pyir.Subscript):
        index = e.index if isinstance(e.index, int) else _flat(e.index)
        return f"{_operand(e.value, e)}[{index}]"
    if isinstance(e, pyir.Call):
        args = [_item(a) for a in e.args] if len(e.args) > 1 else [_flat(a) for a in e.args]
        return f"{_operand(e.func, e)}({', '.join(args)})"
    if isinstance(e, pyir.BinOp | pyir.Compare):  # comparisons chain: `(a < b) < c` keeps its brackets
        return f"{_operand(e.left, e, isinstance(e, pyir.Compare))} {e.op} {_operand(e.right, e, strictly=True)}"
    if isinstance(e, pyir.Between):
        return f"{_operand(e.low, e, True)} <= {_operand(e.value, e, True)} <= {_operand(e.high, e, True)}"
    if isinstance(e, pyir.Walrus):
        return f"({e.target} := {_flat(e.value)})"
    if isinstance(e, pyir.BoolOp):
        return f" {e.op} ".join(_operand(v, e, strictly=True) for v in e.values)
    if isinstance(e, pyir.Not):
        return f"not {_operand(e.operand, e)}"
    if isinstance(e, pyir.IfExp):
        return f"{_operand(e.body, e, True)} if {_operand(e.test, e, True)} else {_operand(e.orelse, e)}"
    if isinstance(e, pyir.Tuple):
        return "(" + ", ".join(_item(i) for i in e.items) + ("," if len(e.items) == 1 else "") + ")"
    if isinstance(e, pyir.List):
        return "[" + ", ".join(_item(i) for i in e.items) + "]"
    if isinstance(e, pyir.Set):
        return "{" + ", ".join(_item(i) for i in e.items) + "}"
    if isinstance(e, pyir.ListComp):
        return f"[{_item(e.element)} for {e.target} in {_operand(e.iterable, e)}]"
    if isinstance(e, pyir.Lambda):
        return f"lambda {', '.join(e.params)}: {_flat(e.body)}"
    assert_never(e)


def _items(e: pyir.Call | pyir.Tuple | pyir.List | pyir.Set) -> tuple[Expr, ...]:
    return e.args if isinstance(e, pyir.Call) else e.items


_BRACKETS = {pyir.Tuple: ("(", ")"), pyir.List: ("[", "]"), pyir.Set: ("{", "}")}


def _broken(e: Expr, indent: int) -> str:
    """`e` over several lines: its parts a line each, indented one step more, in brackets."""
    inner, pad = indent + 4, " " * (indent + 4)

    def part(operand: Expr, prefix: str = "", strictly: bool = True) -> str:
        """One part on its own line, broken in turn if it is still too long, bracketed as `_flat` would."""
        text = (
            _item(operand)
            if isinstance(e, pyir.Call | pyir.Tuple | pyir.List | pyir.Set)
            else _operand(operand, e, strictly)
        )
        if inner + len(prefix) + len(text) + 1 <= WIDTH:
            return pad + prefix + text
        broken = _broken(operand, inner)
        bracketed = text.startswith("(") and not broken.startswith("(")
        return pad + prefix + (f"({broken})" if bracketed else broken)

    if isinstance(e, pyir.BoolOp):
        lines = [part(e.values[0]), *(part(v, e.op + " ") for v in e.values[1:])]
    elif isinstance(e, pyir.IfExp):
        lines = [part(e.body), part(e.test, "if "), part(e.orelse, "else ", strictly=False)]
    elif isinstance(e, pyir.BinOp | pyir.Compare):
        lines = [part(e.left, strictly=isinstance(e, pyir.Compare)), part(e.right, e.op + " ")]
    elif isinstance(e, pyir.Between):
        lines = [part(e.low), part(e.value, "<= "), part(e.high, "<= ")]
    elif isinstance(e, pyir.Not):
        operand = _broken(e.operand, indent)
        if operand.startswith("("):  # its own brackets serve
            return "not " + operand
        return "not (\n" + part(e.operand, strictly=False) + "\n" + " " * indent + ")"
    elif isinstance(e, pyir.Call | pyir.Tuple | pyir.List | pyir.Set) and _items(e):
        items = _items(e)
        opening, closing = _BRACKETS[type(e)] if not isinstance(e, pyir.Call) else (f"{_flat(e.func)}(", ")")
        arguments = ", ".join(_item(i) for i in items)
        if isinstance(e, pyir.Call) and inner + len(arguments) <= WIDTH:  # the arguments on a line of their own
            return f"{opening}\n{pad}{arguments}\n{' ' * indent}{closing}"
        return opening + "\n" + "".join(part(i) + ",\n" for i in items) + " " * indent + closing
    elif isinstance(e, pyir.ListComp):
        element = part(e.element) if inner + len(_item(e.element)) <= WIDTH else pad + _broken(e.element, inner)
        return f"[\n{element}\n{pad}for {e.target} in {_operand(e.iterable, e)}\n{' ' * indent}]"
    elif isinstance(e, pyir.Lambda):
        head = f"lambda {', '.join(e.params)}: "
        return head + _broken(e.body, indent)
    elif isinstance(e, pyir.Walrus):
        return f"({e.target} := " + _broken(e.value, indent) + ")"
    elif isinstance(e, pyir.Lit) and isinstance(e.value, str):
        return literal(e.value, indent)  # a long text: pieces a line, joined by Python
    else:
        return _flat(e)  # a name or attribute: nothing to break
    return "(\n" + "\n".join(lines) + "\n" + " " * indent + ")"
