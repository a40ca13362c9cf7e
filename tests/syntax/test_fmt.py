"""The formatter: canonical, idempotent, comments kept, and the AST unchanged (spans aside)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.diagnostics import Span
from compiler.syntax import nodes
from compiler.syntax.fmt import format_source, format_tests, shape
from compiler.syntax.parse import parse, parse_tests
from compiler.syntax.unparse import expression
from tests.conftest import POLICY_SOURCE, ROOT

SOURCES = [POLICY_SOURCE, *sorted((ROOT / "tests" / "cases" / "good").glob("*.policy"))]


def fmt(text: str) -> str:
    formatted, diagnostics = format_source(text, "p.policy")
    assert formatted is not None, diagnostics
    return formatted


def same_meaning(a: str, b: str) -> bool:
    tree_a, _ = parse(a, "a")
    tree_b, _ = parse(b, "b")
    return tree_a is not None and tree_b is not None and shape(tree_a) == shape(tree_b)


def comments(text: str) -> list[str]:
    return [line.strip() for line in re.findall(r"#[^\n]*", re.sub(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"', "", text))]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_formatting_keeps_the_meaning_and_is_idempotent(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    once = fmt(text)
    assert same_meaning(text, once)
    assert fmt(once) == once
    assert comments(once) == comments(text)


def test_the_committed_policies_are_formatted() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "policyc"), "fmt", "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr


MESSY = """# header comment

policy   "X-1" {   title: "Messy"
  effective:2025-01-01 # trailing on a meta
}
fact age :integer 0..130 "Age."   # trailing on a fact


fact flag: boolean
        "Flag."
section D "Policy" {
    # before a rule
    rule D.I "Adult." when age>=18 and ( flag or not flag )
    rule D.II "Not in." when age not in {1,2}
    # at the end of a block
}
outcome yes "Yes." advise D.I
outcome no "No."
outcome unknown "Unknown."
decide { yes when D.I otherwise no
unknown unknown }
# at the end of the file
"""

TIDY = """# header comment

policy "X-1" {
    title: "Messy"
    effective: 2025-01-01  # trailing on a meta
}
fact age: integer 0..130
    "Age."  # trailing on a fact

fact flag: boolean
    "Flag."
section D "Policy" {
    # before a rule
    rule D.I "Adult."
        when age >= 18 and (flag or not flag)
    rule D.II "Not in."
        when age not in {1, 2}
    # at the end of a block
}
outcome yes "Yes."
    advise D.I
outcome no "No."
outcome unknown "Unknown."
decide {
    yes when D.I
    otherwise no
    unknown unknown
}
# at the end of the file
"""


def test_one_canonical_layout_with_every_comment_in_place() -> None:
    assert fmt(MESSY) == TIDY
    assert same_meaning(MESSY, TIDY)


def test_long_prose_becomes_a_wrapped_text_block_and_odd_strings_stay_strings() -> None:
    long = "word " * 40
    text = f'section A "S" {{\n    "{long.strip()}"\n    "two  spaces\\n and a break"\n}}\n'
    out = fmt(text)
    assert '"""' in out and all(len(line) <= 88 for line in out.splitlines())
    assert '"two  spaces\\n and a break"' in out
    assert same_meaning(text, out)


# -- Property: any layout of a policy formats to the same text --------------------------------------

TOKEN = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|\s+|[^\s"#]+')


@st.composite
def relaid(draw: st.DrawFn, text: str) -> str:
    """The same tokens with other white space between them, and comments added at line ends."""
    out: list[str] = []
    for token in TOKEN.findall(text):
        if not token.isspace():
            out.append(token)
            continue
        choice = draw(st.sampled_from([" ", "\n", "  ", "\n\n", "\n    ", " # a comment\n"]))
        if out and out[-1].startswith("#") and "\n" not in choice:
            choice = "\n"  # a comment runs to the end of its line
        out.append(choice)
    return "".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_layout_formats_back_to_the_same_meaning_and_is_stable(data: st.DataObject) -> None:
    source = (ROOT / "tests" / "cases" / "good" / "constructs.policy").read_text(encoding="utf-8")
    text = data.draw(relaid(source))
    tree, diagnostics = parse(text, "r")
    assert tree is not None, diagnostics  # white space and comments may go between any two tokens
    once = fmt(text)
    assert same_meaning(text, once)
    assert fmt(once) == once
    assert len(comments(once)) == len(comments(text))


# -- Property: expressions print with exactly the brackets they need ----------------------------------

SPAN = Span("e", 1, 1, 1, 1)
LEAVES = st.one_of(
    st.builds(
        lambda n: nodes.Comparison(SPAN, ">=", nodes.Name(SPAN, "age"), nodes.IntLit(SPAN, n)), st.integers(0, 130)
    ),
    st.just(nodes.Name(SPAN, "flag")),
    st.just(nodes.Membership(SPAN, nodes.Name(SPAN, "a"), nodes.Name(SPAN, "kinds"))),
    st.just(nodes.Emptiness(SPAN, nodes.Name(SPAN, "kinds"))),
    st.just(nodes.SectionRef(SPAN, "D.I")),
)


def _combine(children: st.SearchStrategy[nodes.Expr]) -> st.SearchStrategy[nodes.Expr]:
    many = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        st.builds(lambda c: nodes.Negation(SPAN, c), children),
        st.builds(lambda ops: nodes.Conjunction(SPAN, ops), many),
        st.builds(lambda ops: nodes.Disjunction(SPAN, ops), many),
        st.builds(lambda ops: nodes.Quantified(SPAN, nodes.Quantifier(SPAN, "any", None), ops), many),
        st.builds(lambda ops: nodes.Quantified(SPAN, nodes.Quantifier(SPAN, "at_least", 2), ops), many),
    )


@settings(max_examples=300, deadline=None)
@given(st.recursive(LEAVES, _combine, max_leaves=12))
def test_a_printed_expression_parses_to_the_same_tree(expr: nodes.Expr) -> None:
    source = f'section D "S" {{\n    rule D.II "R."\n        when {expression(expr)}\n}}\n'
    tree, diagnostics = parse(source, "e")
    assert tree is not None, (expression(expr), diagnostics)
    section = tree.items[0]
    assert isinstance(section, nodes.Section)
    provision = section.items[0]
    assert isinstance(provision, nodes.Provision) and isinstance(provision.body, nodes.Condition)
    assert shape(provision.body.expr) == shape(expr)


# -- The command -------------------------------------------------------------------------------------


def test_policyc_fmt_check_shows_a_diff_and_fmt_rewrites(tmp_path: Path) -> None:
    (tmp_path / "m.policy").write_text(MESSY, encoding="utf-8")
    policyc = str(Path(sys.executable).parent / "policyc")
    done = subprocess.run([policyc, "fmt", "--check", "m.policy"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert "+++ m.policy (formatted)" in done.stdout and '-policy   "X-1"' in done.stdout
    assert (tmp_path / "m.policy").read_text(encoding="utf-8") == MESSY  # --check writes nothing
    done = subprocess.run([policyc, "fmt", "m.policy"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and "reformatted m.policy" in done.stdout
    assert (tmp_path / "m.policy").read_text(encoding="utf-8") == TIDY
    done = subprocess.run([policyc, "fmt", "--check", "m.policy"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0


def test_policyc_fmt_reports_syntax_errors_and_writes_nothing(tmp_path: Path) -> None:
    shutil.copy(POLICY_SOURCE, tmp_path / "good.policy")
    (tmp_path / "bad.policy").write_text('policy "B" {\n    title "missing colon"\n}\n', encoding="utf-8")
    policyc = str(Path(sys.executable).parent / "policyc")
    done = subprocess.run([policyc, "fmt", "."], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert "bad.policy:2:11: error[E001]" in done.stderr
    assert (tmp_path / "bad.policy").read_text(encoding="utf-8").startswith('policy "B" {\n    title "missing')


TEST_FILES = sorted((ROOT / "policies").glob("*.tests"))


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_a_test_file_formats_to_the_same_cases_and_is_idempotent(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    once, diagnostics = format_tests(text, path.name)
    assert once is not None, diagnostics
    assert shape(parse_tests(text, "a")[0]) == shape(parse_tests(once, "b")[0])
    assert format_tests(once, "c")[0] == once
    assert comments(once) == comments(text)


def test_a_test_file_gets_one_layout_with_long_lists_of_records_one_a_line() -> None:
    messy = (
        "# the base\nrequest   base {age: 40\n  visits: []}\n"
        'case "Two visits"   from base expect no by D.I missing [ ]  # why\ncarries {n: 2} '
        '{ visits: [{date: "2024-01-01", kind: "office_visit_long_name"}, {date: "2024-02-01", kind: "telehealth"}] }\n'
    )
    assert format_tests(messy, "t.tests")[0] == (
        "# the base\n"
        "request base {\n    age: 40\n    visits: []\n}\n"
        'case "Two visits" from base expect no by D.I missing []\n'
        "carries {\n    n: 2\n} {\n"
        "    # why\n"  # as in a policy: a comment goes before the declaration that follows it
        "    visits: [\n"
        '        {date: "2024-01-01", kind: "office_visit_long_name"},\n'
        '        {date: "2024-02-01", kind: "telehealth"}\n'
        "    ]\n}\n"
    )
