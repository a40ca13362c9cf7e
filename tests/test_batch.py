"""`policyc batch` and `policyc diff --requests`: files of requests decided in a SQL engine.

The revision impact is held against an independent count: the reference interpreter decides
every request with each revision, in Python, and the pairs of decisions are counted here.
"""

from __future__ import annotations

import collections
import decimal
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from compiler import interpret, jsontext, load, model
from compiler.batch import PRIOR, arrow_schema, as_request, impact_file, typed_row
from tests.conftest import ROOT
from tests.test_interpret import random_requests

POLICYC = [sys.executable, "-m", "compiler.cli"]
OLD_SOURCE = ROOT / "policies" / "CMS-NCD-100.1.policy"


@pytest.fixture(scope="module")
def revision(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CMS-NCD-100.1 with its BMI threshold raised from 35 to 40."""
    text = OLD_SOURCE.read_text(encoding="utf-8")
    raised = text.replace("when bmi >= 35", "when bmi >= 40").replace("when bmi < 35 or", "when bmi < 40 or")
    assert raised.count("40") == text.count("40") + 2
    path = tmp_path_factory.mktemp("revision") / "CMS-NCD-100.1.policy"
    path.write_text(raised, encoding="utf-8")
    return path


def requests(policy: model.Policy) -> list[Any]:
    """Generated requests, and a grid of BMIs across both thresholds, where a sample would miss them."""
    grid = [
        {
            "procedure_code": "43644",
            "weight_kg": decimal.Decimal(weight) / 10,
            "height_m": decimal.Decimal("1.70"),
            "comorbidities": ["type_2_diabetes"],
            "failed_medical_treatment": failed,
        }
        for weight in range(1000, 1180, 3)  # BMI 34.6 to 40.8
        for failed in (True, False, None)
    ]
    return random_requests(policy, 1_500, seed=4) + grid


def decided(policy: model.Policy, request: Any) -> tuple[str, str | None]:
    try:
        d = interpret.evaluate(policy, request)
    except interpret.InvalidRequest:
        return ("invalid_request", None)
    return (d["outcome"], d["section"])


def expected_counts(old: model.Policy, new: model.Policy, batch: list[Any]) -> dict[Any, list[int]]:
    """Each (old, new) pair of decisions and the row ids (from 1) of its requests."""
    pairs: dict[Any, list[int]] = collections.defaultdict(list)
    for row_id, request in enumerate(batch, start=1):
        pairs[decided(old, request), decided(new, request)].append(row_id)
    return pairs


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_diff_requests_counts_every_change_as_the_interpreter_decides_it(
    engine: str, revision: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "spark":
        request.getfixturevalue("spark")
    old, new = load(OLD_SOURCE), load(revision)
    batch = requests(old)
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(jsontext.dumps(r) + "\n" for r in batch), encoding="utf-8")

    impact = impact_file(old, new, path, engine, samples=3)

    pairs = expected_counts(old, new, batch)
    assert {(s.old, s.new): s.requests for s in impact.shifts} == {k: len(v) for k, v in pairs.items()}
    assert impact.requests == len(batch)
    assert impact.changed == sum(len(v) for (a, b), v in pairs.items() if a != b) > 0
    changed = [s for s in impact.shifts if s.changed]
    assert changed == sorted(changed, key=lambda s: -s.requests) and impact.shifts[: len(changed)] == changed
    for shift in changed:
        assert list(shift.samples) == pairs[shift.old, shift.new][:3]
        for row_id in shift.samples:
            assert impact.samples[row_id] == batch[row_id - 1]
    # The threshold moved: a BMI in [35, 40) with a co-morbidity is covered before, not after.
    assert (("covered", "B.II"), ("not_covered", "D.II")) in {(s.old, s.new) for s in changed}


def parquet_of(policy: model.Policy, batch: list[Any], path: Path, drop: tuple[str, ...] = ()) -> list[Any]:
    """The valid requests as typed Parquet without a row_id column; returns the requests it holds."""
    rows = [typed_row(policy, i, r) for i, r in enumerate(batch, start=1)]
    kept = [(row, r) for row, r in zip(rows, batch, strict=True) if not row[PRIOR]]
    for row, _ in kept:
        del row[PRIOR], row["row_id"]
    schema = arrow_schema(policy)
    schema = schema.remove(schema.get_field_index(PRIOR)).remove(schema.get_field_index("row_id"))
    table = pa.Table.from_pylist([row for row, _ in kept], schema=schema).drop_columns(list(drop))
    pq.write_table(table, path, row_group_size=500)
    return [{k: v for k, v in r.items() if k not in drop} for _, r in kept]


def test_diff_requests_from_parquet_numbers_rows_and_shows_them_as_json(revision: Path, tmp_path: Path) -> None:
    old, new = load(OLD_SOURCE), load(revision)
    path = tmp_path / "requests.parquet"
    batch = parquet_of(old, requests(old), path)
    impact = impact_file(old, new, path, samples=2)
    pairs = expected_counts(old, new, batch)
    assert {(s.old, s.new): s.requests for s in impact.shifts} == {k: len(v) for k, v in pairs.items()}
    for shift in (s for s in impact.shifts if s.changed):
        assert list(shift.samples) == pairs[shift.old, shift.new][:2]
        for row_id in shift.samples:
            assert interpret.validate(old, impact.samples[row_id]) == interpret.validate(old, batch[row_id - 1])


def test_a_fact_the_parquet_file_lacks_is_unknown_in_every_row_and_said_so(tmp_path: Path) -> None:
    policy = load(OLD_SOURCE)
    path = tmp_path / "requests.parquet"
    batch = parquet_of(policy, random_requests(policy, 300, seed=9), path, drop=("failed_medical_treatment",))
    out = tmp_path / "decisions.jsonl"
    done = subprocess.run(
        [*POLICYC, "batch", str(OLD_SOURCE), "--input", str(path), "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert f"{path} has no column failed_medical_treatment: unknown in every request" in done.stderr
    records = sorted((json.loads(line) for line in out.read_text().splitlines()), key=lambda r: r["row_id"])
    assert [(r["outcome"], r["section"]) for r in records] == [decided(policy, r) for r in batch]


def test_policyc_diff_requests_reports_counts_and_samples(revision: Path, tmp_path: Path) -> None:
    old = load(OLD_SOURCE)
    path = tmp_path / "requests.jsonl"
    batch = requests(old)
    path.write_text("".join(jsontext.dumps(r) + "\n" for r in batch), encoding="utf-8")
    args = [*POLICYC, "diff", str(OLD_SOURCE), str(revision), "--requests", str(path), "--samples", "1"]
    text = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    report = jsontext.decode(
        subprocess.run([*args, "--json"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    )

    assert report["requests"]["decided"] == len(batch)
    moved = next(s for s in report["requests"]["shifts"] if s["old"]["outcome"] == "covered" and s["new"] != s["old"])
    assert moved["new"] == {"outcome": "not_covered", "section": "D.II"}
    [sample] = moved["samples"]
    assert jsontext.decode(jsontext.dumps(sample["request"])) == batch[sample["row_id"] - 1]
    assert f"decision impact on {len(batch):,} requests in {path} (duckdb): {report['requests']['changed']:,}" in text
    assert f"{moved['requests']:>5,}  covered (B.II) -> not_covered (D.II)\n" in text
    assert f"row {sample['row_id']}: {jsontext.dumps(batch[sample['row_id'] - 1])}\n" in text


def test_as_request_reads_a_typed_row_back_as_json() -> None:
    policy = load(ROOT / "policies" / "ODM-UPDL-MIGRAINE.policy")
    trial = {"drug": "topiramate", "start_date": "2024-01-02", "end_date": {"absent": True}}
    request = {"request_date": "2024-03-01", "headache_days_per_month": {"absent": True}, "medication_trials": [trial]}
    row = typed_row(policy, 1, request)
    assert not row[PRIOR]
    assert as_request(row) == request


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize("source", sorted((ROOT / "policies").glob("*.policy")), ids=lambda p: p.stem)
def test_diff_requests_of_a_revision_with_itself_changes_nothing_on_every_policy(
    source: Path, engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every shipped policy's revision-impact query runs, and counts each decision as the interpreter makes it."""
    if engine == "spark":
        request.getfixturevalue("spark")
    policy = load(source)
    batch = random_requests(policy, 400, seed=5)
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(jsontext.dumps(r) + "\n" for r in batch), encoding="utf-8")
    impact = impact_file(policy, policy, path, engine)
    assert impact.changed == 0 and impact.samples == {}
    counted = collections.Counter(decided(policy, r) for r in batch)
    assert {s.old: s.requests for s in impact.shifts} == dict(counted)
    assert all(s.old == s.new for s in impact.shifts)
