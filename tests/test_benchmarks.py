"""A quick run of the benchmark script, so it cannot rot. No timing is asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import baseline
from benchmarks.run import main, requests
from tests.conftest import EVALUATOR, import_file

EVALUATE = import_file(EVALUATOR, "mp_mm_1308_benchmarks")


def test_the_floor_decides_like_the_evaluator() -> None:
    for request in requests(3_000, seed=11):
        decision = EVALUATE.evaluate(request, explain=False)
        assert baseline.decide(request) == (decision.outcome, decision.section, list(decision.missing))


def test_the_request_mix_reaches_every_outcome() -> None:
    outcomes = {EVALUATE.evaluate(r).outcome for r in requests(3_000)}
    assert outcomes == set(EVALUATE.OUTCOMES)


def test_quick_run_writes_every_section(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nprose kept\n\n<!-- results --><!-- /results -->\n\nmore prose\n")
    assert main(["--quick", "--out", str(page)]) == 0
    text = page.read_text()
    assert "prose kept" in text and "more prose" in text
    for heading in (
        "1. Per decision",
        "2. Batch",
        "3. Compilation",
        "4. Importing",
        "5. SQL on DuckDB",
        "6. SQL against",
    ):
        assert heading in text
    assert "`evaluate(request, explain=False)`: the lean path" in text
    assert "rows decided on duckdb and compared with the interpreter (disagreements: 0) | 2,000.00" in text
    assert "rows decided on spark and compared with the interpreter (disagreements: 0) | 2,000.00" in text


def test_quick_run_of_the_service_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import service

    assert service.main(["--decisions", "200", "--clients", "4"]) == 0
    out = capsys.readouterr().out
    assert "errors 0, lost 0, duplicated 0" in out and "extraction of the POEM chart" in out
