"""The README's tour shows what the tools print today: its sample error is the compiler's own output."""

from __future__ import annotations

import re

from compiler import compile_source
from compiler.diagnostics import render_all
from tests.conftest import ROOT


def test_the_tour_shows_the_error_check_prints_for_the_typo() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"\$ \.venv/bin/policyc check\n(.*?)\n```", readme, flags=re.DOTALL)
    assert block is not None
    shown = block.group(1).splitlines()
    source = (ROOT / "policies" / "MP-MM-1308.policy").read_text(encoding="utf-8")
    assert source.count("when eckardt_score >= 3\n") == 1
    typo = source.replace("when eckardt_score >= 3\n", "when eckardt_score >= 13\n")
    name = "policies/MP-MM-1308.policy"
    _, diagnostics = compile_source(typo, name)
    errors = [d for d in diagnostics if d.severity.value == "error"]
    printed = render_all(errors, {name: typo}).splitlines()
    assert shown[:3] == printed[:3]
    assert shown[3] == f"{len(errors)} error(s), 0 warning(s)"
