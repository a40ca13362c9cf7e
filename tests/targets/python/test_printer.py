"""The printer: layout never changes the program, and lines stay within the width."""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.targets.python import printer, pyir
from compiler.targets.python.pyir import call, fact

names = st.sampled_from(["f.age", "f.eckardt_score", "v1", "_DATE_2025_11_01", "d_iv_a"]).map(
    lambda n: fact(n[2:]) if n.startswith("f.") else pyir.Name(n)
)
literals = st.one_of(st.integers(-5, 500), st.sampled_from(["primary_achalasia", "I", "severe_esophagitis"])).map(
    pyir.Lit
)


def _expressions() -> st.SearchStrategy[pyir.Expr]:
    def extend(inner: st.SearchStrategy[pyir.Expr]) -> st.SearchStrategy[pyir.Expr]:
        return st.one_of(
            st.builds(pyir.BinOp, st.sampled_from(["+", "-", "*"]), inner, inner),
            st.builds(pyir.Compare, st.sampled_from(["==", "<", ">=", "in", "is", "not in"]), inner, inner),
            st.builds(pyir.BoolOp, st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=4).map(tuple)),
            st.builds(pyir.Not, inner),
            st.builds(pyir.IfExp, inner, inner, inner),
            st.builds(lambda items: pyir.Tuple(tuple(items)), st.lists(inner, max_size=4)),
            st.builds(
                lambda f, args: call(f, *args),
                st.sampled_from(["_all", "_MULTIPLY", "len"]),
                st.lists(inner, max_size=3),
            ),
            st.builds(pyir.Between, inner, inner, inner),
        )

    return st.recursive(st.one_of(names, literals), extend, max_leaves=24)


@settings(max_examples=400)
@given(_expressions(), st.integers(0, 40))
def test_a_broken_expression_is_the_same_program_as_the_flat_one(e: pyir.Expr, indent: int) -> None:
    flat = printer.flat(e)
    printed = printer.expression(e, indent)
    assert ast.dump(ast.parse(printed, mode="eval")) == ast.dump(ast.parse(flat, mode="eval"))
    if "\n" in printed:  # broken only because it did not fit
        assert indent + len(flat) > printer.WIDTH
        assert all(len(line) <= printer.WIDTH + 20 for line in (" " * indent + printed).splitlines())


@given(_expressions())
def test_brackets_follow_precedence(e: pyir.Expr) -> None:
    """What the flat text means is what the tree says: parsing it back gives the tree's shape."""
    tree = ast.parse(printer.flat(e), mode="eval").body
    assert _shape(tree) == _kind(e)


def _shape(node: ast.AST) -> str:
    return {ast.BinOp: "BinOp", ast.Compare: "Compare", ast.BoolOp: "BoolOp", ast.UnaryOp: "Not", ast.IfExp: "IfExp",
            ast.Tuple: "Tuple", ast.Call: "Call"}.get(type(node), "atom")  # fmt: skip


def _kind(e: pyir.Expr) -> str:
    if isinstance(e, pyir.Between):
        return "Compare"
    if isinstance(e, pyir.BinOp | pyir.Compare | pyir.BoolOp | pyir.Not | pyir.IfExp | pyir.Tuple | pyir.Call):
        return type(e).__name__
    return "atom"


def test_statements_own_their_indentation() -> None:
    test = pyir.BoolOp("or", tuple(pyir.is_none(fact(f"fact_number_{i}")) for i in range(6)))
    body = (pyir.Return(call("_decision", pyir.F, pyir.Lit("insufficient_information"), pyir.Lit("D.I"))),)
    text = printer.block([pyir.If(test, body, (pyir.If(pyir.Lit(True), (pyir.Do(call("go")),)),))], 4)
    assert text.splitlines() == [
        "    if (",
        "        f.fact_number_0 is None",
        "        or f.fact_number_1 is None",
        "        or f.fact_number_2 is None",
        "        or f.fact_number_3 is None",
        "        or f.fact_number_4 is None",
        "        or f.fact_number_5 is None",
        "    ):",
        "        return _decision(f, 'insufficient_information', 'D.I')",
        "    elif True:",
        "        go()",
    ]


def test_a_mix_of_and_and_or_is_bracketed_for_the_reader() -> None:
    a, b, c = (pyir.Name(n) for n in "abc")
    assert printer.flat(pyir.BoolOp("or", (pyir.BoolOp("and", (a, b)), c))) == "(a and b) or c"
    assert printer.flat(call("_not", pyir.IfExp(a, b, c))) == "_not(b if a else c)"
    assert printer.flat(call("_all", pyir.IfExp(a, b, c), a)) == "_all((b if a else c), a)"
