"""The front end: text folding, escapes, and fuzzing that must end in diagnostics, never a traceback.

Set POLICYC_LONG=1 for a deeper run (more examples per property).
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark

from compiler import compile_file, compile_source, load, testing
from compiler.cli import main
from compiler.diagnostics import render_all
from compiler.syntax import nodes
from compiler.syntax.parse import _parser, fold_text, parse
from compiler.targets import python
from tests.conftest import POLICY_SOURCE, ROOT

LONG = bool(os.environ.get("POLICYC_LONG"))
EXAMPLES = 20_000 if LONG else 600
SOURCE = POLICY_SOURCE.read_text(encoding="utf-8")
# Every terminal at once, unlike the parser's lexer, which offers only those a state accepts: two
# keywords that share a word (`effective`) collide here, harmlessly, since only the text is used.
_LEXER = Lark(_parser().source_grammar, parser="lalr", lexer="basic", start=["start", "tests"])
TOKENS = list(_LEXER.lex(SOURCE, dont_ignore=True))
# Every shipped policy and test file is mutated, not only MP-MM-1308: each construct meets the fuzzer.
CORPUS = sorted((ROOT / "policies").glob("*.policy")) + sorted((ROOT / "policies").glob("*.tests"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


def test_text_blocks_fold_into_paragraphs() -> None:
    assert fold_text("\n    one\n    two\n\n    three\n    ") == ("one two", "three")


def test_string_escapes() -> None:
    tree, diagnostics = parse('policy "a\\"b\\\\c\\u00e9\\n" { }', "x")
    assert diagnostics == [] and tree is not None
    assert tree.items[0].policy_id == 'a"b\\cé\n'  # type: ignore[union-attr]


def assert_clean(text: str) -> None:
    """Compiling never raises, and every diagnostic points at a line and column of the text."""
    policy, diagnostics = compile_source(text, "fuzz.policy")
    lines = max(1, len(text.splitlines()))
    for d in diagnostics:
        assert 1 <= d.span.line <= lines + 1 and d.span.column >= 1, d
    render_all(diagnostics, {"fuzz.policy": text})
    assert policy is not None or diagnostics


def splice(tokens: list[str]) -> str:
    return "".join(tokens)


@functools.cache
def _tokens(path: Path) -> list[str]:
    return [str(t) for t in _LEXER.lex(path.read_text(encoding="utf-8"), dont_ignore=True)]


@functools.cache
def _policy_of(tests: Path) -> Any:
    return load(tests.with_suffix(".policy"))


def assert_clean_anywhere(text: str, path: Path) -> None:
    """A mutant of a policy compiles to diagnostics or to an evaluator that is Python; a mutant of a
    test file loads to diagnostics or to cases that run."""
    if path.suffix == ".policy":
        assert_clean(text)
        policy, _ = compile_source(text, "fuzz.policy")
        if policy is not None:
            compile(python.render(policy), "fuzz", "exec")  # F6: what check accepts, Python accepts
        return
    policy = _policy_of(path)
    cases, diagnostics = testing.load_cases(policy, text, "fuzz.tests")
    lines = max(1, len(text.splitlines()))
    assert all(1 <= d.span.line <= lines + 1 for d in diagnostics), diagnostics
    if not any(d.severity.value == "error" for d in diagnostics):
        testing.run(policy, cases, _module_of(path))


@functools.cache
def _module_of(tests: Path) -> Any:
    return python.load_module(_policy_of(tests))


@FUZZ
@given(st.data())
def test_token_mutations(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(CORPUS))
    tokens = list(_tokens(path))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(tokens) - 1))
        j = data.draw(st.integers(0, len(tokens) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "swap", "replace"]))
        if action == "delete":
            del tokens[i]
        elif action == "duplicate":
            tokens.insert(i, tokens[i])
        elif action == "swap":
            tokens[i], tokens[j] = tokens[j], tokens[i]
        else:
            tokens[i] = data.draw(st.sampled_from([*tokens[:50], " ", "\n", "{", "}", "(", ")", "9" * 30, "-1"]))
    assert_clean_anywhere(splice(tokens), path)


LOOK_ALIKES = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "-": "‐", '"': "“", "=": "＝", " ": "\u00a0"}


@FUZZ
@given(st.lists(st.integers(0, len(SOURCE) - 1), min_size=1, max_size=5), st.sampled_from(sorted(LOOK_ALIKES)))
def test_unicode_look_alikes(positions: list[int], char: str) -> None:
    text = list(SOURCE)
    for p in positions:
        if text[p] == char:
            text[p] = LOOK_ALIKES[char]
    assert_clean("".join(text))


@FUZZ
@given(st.integers(0, len(SOURCE)), st.text(max_size=40))
def test_inserted_text(position: int, inserted: str) -> None:
    assert_clean(SOURCE[:position] + inserted + SOURCE[position:])


@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400), st.integers(0, len(SOURCE)))
def test_random_bytes_through_the_command_line(tmp_path_factory: pytest.TempPathFactory, noise: bytes, at: int) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.policy"
    raw = SOURCE.encode()
    path.write_bytes(raw[:at] + noise + raw[at:])
    assert main(["check", str(path)]) in (0, 1)
    policy, diagnostics, _ = compile_file(path)
    assert policy is not None or all(d.span.line >= 1 for d in diagnostics)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "E101"),
        (b"\xff\xfe\x00".decode("latin-1"), "E001"),
        ("policy \"X\" { title: \"t\" effective: 2025-01-01 }\nfact a: boolean \"a\"\n"
         "section D \"D\" { rule D.I \"x\" when " + "not " * 5000 + "a }", "E005"),
        (SOURCE.replace("integer 0..130", "integer 0.." + "9" * 5000), "E006"),
        (SOURCE.replace('"Date of service."', '"\\ud800"'), "E002"),
        (SOURCE.replace("2025-11-01", "2025-11-31", 1), "E003"),
    ],
    ids=["empty", "binary", "nesting-5000", "huge-integer", "surrogate", "unreal-date"],
)  # fmt: skip
def test_hostile_sources_get_diagnostics(text: str, code: str) -> None:
    _, diagnostics = compile_source(text, "x.policy")
    assert code in {d.code for d in diagnostics}


def test_invalid_utf8_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "bad.policy"
    path.write_bytes(SOURCE.encode()[:200] + b"\xc3\x28" + SOURCE.encode()[200:])
    _, diagnostics, _ = compile_file(path)
    assert [d.code for d in diagnostics] == ["E000"]


def test_time_grows_linearly_with_size() -> None:
    """A 10 MB policy compiles, and four times the facts take about four times as long."""
    big = SOURCE.replace('"NA"', '"""' + "lorem ipsum dolor sit amet " * 400_000 + '"""', 1)
    assert len(big) > 10_000_000
    assert_clean(big)

    def seconds(facts: int) -> float:
        text = SOURCE + "".join(f'fact f{i}: integer 0..{i + 1} "Fact {i}."\n' for i in range(facts))
        start = time.perf_counter()
        compile_source(text, "x.policy")
        return time.perf_counter() - start

    small, large = min(seconds(1000) for _ in range(2)), min(seconds(4000) for _ in range(2))
    assert large < 10 * small, (small, large)  # linear is 4x; quadratic would be 16x


# -- An unambiguous grammar (issue 13.3) ------------------------------------------------------------

OLD_SYNTAX = """policy "X-1" { title: "T" effective: 2025-01-01 }
fact diagnosis_code: code ICD10CM "Diagnosis."
codeset diabetes ICD10CM "Diabetes" {
    "E10.*" "Type 1"
    "E11.9"
}
section H "History" {
    revision issued 2024-01-01 "First issue."
    revision revised 2025-01-01
    "A paragraph after the history."
}
section D "Policy" { rule D.I "Diabetic." when diagnosis_code in diabetes }
outcome yes "Yes."
outcome no "No."
outcome unk "Unknown."
decide { yes when D.I otherwise no unknown unk }
"""


def test_the_grammar_is_built_strict_and_its_old_conflicts_would_be_errors() -> None:
    from lark import Lark
    from lark.exceptions import GrammarError

    from compiler.syntax.parse import _LEGACY_RULES

    assert _parser().options.strict
    grammar = (ROOT / "grammar" / "policy.lark").read_text()
    for rule, old in _LEGACY_RULES.items():
        with pytest.raises(GrammarError, match="Shift/Reduce"):
            Lark(grammar.replace(rule, old.replace('[[":"] STRING]', "[STRING]")), parser="lalr", strict=True)


def test_a_code_after_a_code_is_never_its_label() -> None:
    text = OLD_SYNTAX.replace('    "E10.*" "Type 1"\n    "E11.9"\n', '    "E10.*" "E11.9"\n')
    _, found = compile_source(text.replace('"First issue."', ': "First issue."'), "x.policy")
    assert [(d.code, d.span.line) for d in found if d.severity.value == "error"] == [("E007", 4)]
    two_lines = text.replace('    "E10.*" "E11.9"\n', '    "E10.*"\n    "E11.9"\n').replace(' "First', ': "First')
    policy, found = compile_source(two_lines, "x.policy")
    assert policy is not None, found
    assert policy.codeset("diabetes").exact == ("E11.9",) and policy.codeset("diabetes").prefixes == ("E10.",)


def test_a_paragraph_after_a_revision_stays_a_paragraph() -> None:
    text = OLD_SYNTAX.replace('"E10.*" "Type 1"', '"E10.*": "Type 1"')
    _, found = compile_source(text, "x.policy")
    assert [(d.code, d.span.line) for d in found if d.severity.value == "error"] == [("E007", 8)]
    tree, found = parse(text.replace(' "First issue."', ""), "x.policy")
    assert tree is not None and not found
    history = next(i for i in tree.items if isinstance(i, nodes.Section) and i.label == "H")
    assert [type(item).__name__ for item in history.items] == ["Revision", "Revision", "Prose"]


def test_fmt_rewrites_the_old_syntax_into_the_new_with_the_same_meaning() -> None:
    from compiler.syntax.fmt import format_source, shape

    formatted, found = format_source(OLD_SYNTAX, "x.policy")
    assert formatted is not None, found
    assert '"E10.*": "Type 1"' in formatted and 'revision issued 2024-01-01: "First issue."' in formatted
    new, found = parse(formatted, "x.policy")
    old, _ = parse(OLD_SYNTAX, "x.policy", legacy=True)
    assert new is not None and not found and shape(new.items) == shape(old.items)
    _, found = parse(OLD_SYNTAX, "x.policy")
    assert any("`policyc fmt` rewrites" in (d.hint or "") for d in found)


def test_a_byte_order_mark_or_cr_line_ends_are_named_in_the_help() -> None:
    """Red-team F13: the message was right but did not say what to do."""
    _, found = compile_source("\ufeff" + SOURCE, "x.policy")
    assert "byte order mark" in (found[0].hint or "")
    _, found = compile_source(SOURCE.replace("\n", "\r"), "x.policy")
    assert [d.message for d in found] == ["the lines end with CR alone (classic Mac OS)"]
