"""The copier of runtime parts: what an evaluator gets from `compiler/runtime`, and markers that are wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler import runtime

EVERYTHING = frozenset({"boolean", "integer", "decimal", "code", "codes", "enum", "set", "date", "string",
                        "calendar", "quotient", "exact", "decimals", "quotients"})  # fmt: skip


def test_a_part_keeps_the_lines_of_the_features_a_policy_uses() -> None:
    booleans = runtime.parts(("requests:validators",), frozenset({"boolean"}))
    assert "def _boolean(" in booleans and "def _json_type(" in booleans
    assert "def _integer(" not in booleans and "def _decimal(" not in booleans
    numbers = runtime.parts(("requests:validators",), frozenset({"integer"}))
    assert "def _integer(" in numbers and "def _whole(" in numbers and "def _decimal(" not in numbers


def test_no_marker_reaches_an_evaluator() -> None:
    for module in runtime.MODULES:
        names = {line.part for line in runtime._lines(module)}
        text = runtime.parts(tuple(f"{module}:{name}" for name in sorted(names)), EVERYTHING)
        assert "###" not in text


def test_every_part_with_every_feature_compiles_as_one_module() -> None:
    for module in runtime.MODULES:
        names = sorted({line.part for line in runtime._lines(module)})
        compile(runtime.parts(tuple(f"{module}:{name}" for name in names), EVERYTHING), module, "exec")


def test_a_missing_part_or_module_is_an_error() -> None:
    with pytest.raises(KeyError, match="no part 'nothing'"):
        runtime.parts(("requests:nothing",), EVERYTHING)
    with pytest.raises(KeyError, match="no runtime module"):
        runtime.parts(("elsewhere:errors",), EVERYTHING)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("###{?integer\nx = 1\n###}\n", "named at the top"),
        ("###{one\n###{two\n###}\n###}\n", "named at the top"),
        ("###{one\nx = 1\n", "not closed"),
        ("###}\n", "closes nothing"),
    ],
)
def test_markers_out_of_place_are_errors(
    text: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.py").write_text(text)
    monkeypatch.setattr(runtime, "__file__", str(tmp_path / "__init__.py"))
    monkeypatch.setattr(runtime, "MODULES", ("broken",))
    runtime._lines.cache_clear()
    try:
        with pytest.raises(ValueError, match=message):
            runtime.parts(("broken:one",), EVERYTHING)
    finally:
        runtime._lines.cache_clear()
