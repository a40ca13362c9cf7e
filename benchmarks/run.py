"""The policyc benchmarks: every figure that matters is a ratio against a baseline timed in the same run.

    python -m benchmarks            # the full run (a few minutes), rewrites the results in docs/benchmarks.md
    python -m benchmarks --quick    # a smoke run with small sizes, for the tests

Sections: (1) per-decision cost of the generated MP-MM-1308 evaluator against
the hand-written floor in benchmarks/baseline.py; (2) `policyc eval` on JSON
Lines against parsing and re-serialising the same lines; (3) compilation: one
policy warm, `policyc check` cold, and synthetic corpora built in one command;
(4) the cost of importing a generated evaluator; (5, 6) the SQL target on DuckDB and
Spark; (7) the solver's analyses against compiling the same policies.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from benchmarks import baseline
from compiler import compile_source, interpret, load
from compiler.targets import emit_all, python

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "policies" / "MP-MM-1308.policy"
EVALUATOR = ROOT / "generated" / "python" / "mp_mm_1308.py"
RESULTS = re.compile(r"<!-- results -->.*<!-- /results -->", re.DOTALL)


# -- Requests -----------------------------------------------------------------------------

APPROVABLE: dict[str, Any] = {
    "state": "OH",
    "service_date": "2025-12-01",
    "age": 45,
    "diagnosis": "primary_achalasia",
    "achalasia_type": "II",
    "failed_conventional_therapy": True,
    "heller_surgical_candidate": True,
    "eckardt_score": 6,
    "prior_open_foregut_surgery": False,
    "contraindications": [],
    "prior_achalasia_therapies": [],
}
VARIATIONS: dict[str, list[Any]] = {
    "state": ["GA", "IN", "KY", "OH", "WV", "TX"],
    "service_date": ["2025-10-31", "2025-11-01", "2025-12-31", "2026-01-01", "2026-06-15"],
    "age": [12, 18, 19, 45, 70],
    "diagnosis": ["primary_achalasia"] * 6 + ["gastroparesis", "esophageal_spasm", "other"],
    "achalasia_type": ["I", "II", "III"],
    "failed_conventional_therapy": [True, False],
    "heller_surgical_candidate": [True, False],
    "eckardt_score": [0, 2, 3, 6, 12],
    "prior_open_foregut_surgery": [False] * 4 + [True],
    "contraindications": [[]] * 8 + [["esophageal_malignancy"], ["severe_pulmonary_disease"]],
    "prior_achalasia_therapies": [[], ["pneumatic_dilation"], ["botulinum_toxin", "heller_myotomy"]],
}


def requests(count: int, seed: int = 2025) -> list[dict[str, Any]]:
    """A realistic mix: every outcome, one request in ten with an unknown fact; all valid."""
    rng = random.Random(seed)
    batch = []
    for _ in range(count):
        request = dict(APPROVABLE)
        for name in rng.sample(sorted(VARIATIONS), rng.randint(0, 3)):
            request[name] = rng.choice(VARIATIONS[name])
        if rng.random() < 0.1:
            request.pop(rng.choice(sorted(VARIATIONS)))
        batch.append(request)
    return batch


BARIATRIC = ROOT / "policies" / "CMS-NCD-100.1.policy"


def bariatric_requests(count: int, seed: int = 2025) -> list[dict[str, Any]]:
    """CMS-NCD-100.1 requests as a service sends them: weights and heights as Python floats."""
    rng = random.Random(seed)
    batch = []
    for _ in range(count):
        request: dict[str, Any] = {
            "procedure_code": rng.choice(["43644", "43770", "43775", "43842", "43845"]),
            "weight_kg": round(rng.uniform(60, 200), 1),
            "height_m": round(rng.uniform(1.45, 2.05), 2),
            "comorbidities": rng.choice([[], ["type_2_diabetes"], ["hypertension", "osteoarthritis"]]),
            "failed_medical_treatment": rng.random() < 0.8,
        }
        if rng.random() < 0.1:
            request.pop(rng.choice(sorted(request)))
        batch.append(request)
    return batch


# -- Timing -----------------------------------------------------------------------------------


def per_item(function: Callable[[Any], object], items: list[Any], repeats: int) -> float:
    """Best of `repeats` runs, in microseconds per item."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for item in items:
            function(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e6


def wall(command: list[str], repeats: int, **kwargs: Any) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


def peak_rss_kb(command: list[str], stdin_path: Path | None = None) -> int:
    """Peak resident memory of a command, measured by a fresh Python parent."""
    probe = (
        "import resource, subprocess, sys\n"
        "stdin = open(sys.argv[1], 'rb') if sys.argv[1] else None\n"
        "subprocess.run(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(stdin_path or ""), *command], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


# -- The sections --------------------------------------------------------------------------------


def per_decision(count: int, repeats: int) -> list[tuple[str, float, float]]:
    module = python.load_module(load(SOURCE))
    batch = requests(count)
    for request in batch:  # the floor and the evaluator decide alike, or the comparison means nothing
        decision = module.evaluate(request, explain=False)
        assert baseline.decide(request) == (decision.outcome, decision.section, list(decision.missing)), request
    floor = per_item(baseline.decide, batch, repeats)
    full = per_item(module.evaluate, batch, repeats)
    lean = per_item(lambda r: module.evaluate(r, explain=False), batch, repeats)
    policy = load(SOURCE)
    oracle = per_item(lambda r: interpret.evaluate(policy, r), batch[: max(1, count // 10)], 1)
    # A decimal policy, with exact arithmetic, against MP-MM-1308 (integers only) in the same run.
    bariatric = python.load_module(load(BARIATRIC))
    decimals = bariatric_requests(count)
    exact = per_item(bariatric.evaluate, decimals, repeats)
    return [
        ("hand-written floor (validate, outcome, section, missing)", floor, 1.0),
        ("`evaluate(request)`: validation and the full explanation", full, full / floor),
        ("`evaluate(request, explain=False)`: the lean path", lean, lean / floor),
        ("reference interpreter (for comparison)", oracle, oracle / floor),
        ("CMS-NCD-100.1 `evaluate(request)`, exact decimals, against MP-MM-1308's", exact, exact / full),
    ]


FLOOR_SCRIPT = (
    "import json, sys\n"
    "write = sys.stdout.write\n"
    "for line in open(sys.argv[1], encoding='utf-8'):\n"
    "    write(json.dumps(json.loads(line)) + '\\n')\n"
)


def batch(lines: int, repeats: int, work: Path) -> list[tuple[str, float, float]]:
    path = work / "requests.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for request in requests(lines, seed=7):
            handle.write(json.dumps(request) + "\n")
    policyc = [sys.executable, "-m", "compiler.cli", "eval", str(SOURCE), "--input", str(path)]
    floor_command = [sys.executable, "-c", FLOOR_SCRIPT, str(path)]
    quiet = {"stdout": subprocess.DEVNULL, "cwd": ROOT}
    floor = wall(floor_command, repeats, **quiet)
    ours = wall(policyc, repeats, **quiet)
    small = work / "small.jsonl"
    with path.open(encoding="utf-8") as source, small.open("w", encoding="utf-8") as target:
        for i, line in enumerate(source):
            if i >= lines // 10:
                break
            target.write(line)
    policyc_small = [*policyc[:-1], str(small)]
    memory_small, memory_large = peak_rss_kb(policyc_small), peak_rss_kb(policyc)
    return [
        (f"parse and re-serialise {lines:,} lines with `json` (the floor)", floor / lines * 1e6, 1.0),
        (f"`policyc eval --input` on the same {lines:,} lines", ours / lines * 1e6, ours / floor),
        (f"peak memory, {lines // 10:,} lines / {lines:,} lines (KB)", memory_small, memory_large / memory_small),
    ]


def compilation(corpus_sizes: Iterable[int], repeats: int, work: Path) -> list[tuple[str, float, float]]:
    text = SOURCE.read_text(encoding="utf-8")

    def build_one(_: object) -> None:
        policy, _diagnostics = compile_source(text, "MP-MM-1308.policy")
        assert policy is not None
        emit_all(policy)

    warm = per_item(build_one, [None] * 3, repeats) / 1000  # ms
    cold = wall([sys.executable, "-m", "compiler.cli", "check", str(SOURCE)], repeats, capture_output=True) * 1000
    rows = [
        ("MP-MM-1308: parse, check, all targets, warm process (ms)", warm, 1.0),
        ("`policyc check` of MP-MM-1308, cold command (ms)", cold, cold / warm),
    ]
    jobs = os.cpu_count() or 1
    timings: list[tuple[int, float, float]] = []
    for size in corpus_sizes:
        corpus = work / f"corpus-{size}"
        corpus.mkdir()
        for i in range(size):
            (corpus / f"P-{i:04d}.policy").write_text(text.replace('"MP-MM-1308"', f'"P-{i:04d}"'), encoding="utf-8")
        timed = []
        for parallel in (1, jobs):
            out = work / f"out-{size}-{parallel}"
            command = [sys.executable, "-m", "compiler.cli", "build", str(corpus), "--out", str(out / "generated")]
            command += ["--docs", str(out / "docs"), "--jobs", str(parallel)]
            timed.append(wall(command, 1, capture_output=True, cwd=ROOT))
            shutil.rmtree(out)
        timings.append((size, timed[0], timed[1]))
        rows.append((f"{size:,} policies, `policyc build --jobs 1` (s)", timed[0], 1.0))
        rows.append((f"{size:,} policies, `policyc build --jobs {jobs}` (s)", timed[1], timed[0] / timed[1]))
    if len(timings) >= 2:
        (n0, t0, _), (n1, t1, _) = timings[0], timings[-1]
        slope = (t1 - t0) / (n1 - n0) * 1000
        rows.append(("per-policy slope between the corpora, `--jobs 1` (ms)", slope, slope / warm))
    return rows


def analysis(repeats: int) -> list[tuple[str, float, float]]:
    """The solver's questions, against compiling the same policies (parse and check) in the same run."""
    from compiler.analysis.impact import prove
    from compiler.analysis.lint import lint

    def ms(function: Callable[..., object], *args: Any) -> float:
        return per_item(lambda _: function(*args), [None], repeats) / 1000

    rows: list[tuple[str, float, float]] = []
    for name in ("MP-MM-1308", "CMS-NCD-30.3.3"):
        path = ROOT / "policies" / f"{name}.policy"
        compiled = ms(compile_source, path.read_text(encoding="utf-8"), path.name)
        linted = ms(lint, load(path), path.name, 10.0)
        rows.append((f"{name}: parse and check (ms)", compiled, 1.0))
        rows.append((f"{name}: the solver's warnings, W901-W905 (ms)", linted, linted / compiled))
    source = (ROOT / "policies" / "CMS-NCD-100.1.policy").read_text(encoding="utf-8")
    old, _ = compile_source(source, "old.policy")
    new, _ = compile_source(source.replace("bmi >= 35", "bmi >= 40").replace("bmi < 35", "bmi < 40"), "new.policy")
    assert old is not None and new is not None
    compiled = ms(compile_source, source, "old.policy")
    proved = ms(prove, old, new, (python.load_module(old), python.load_module(new)), 10.0)
    rows.append(("CMS-NCD-100.1: parse and check (ms)", compiled, 1.0))
    rows.append(("CMS-NCD-100.1, BMI 35 -> 40: the proof, 6 witnesses and regions (ms)", proved, proved / compiled))
    return rows


STDLIB_IMPORTS = "import datetime, json, operator, re, collections.abc, typing"


def import_cost(repeats: int) -> list[tuple[str, float, float]]:
    """A fresh interpreter importing the evaluator, against importing only the modules it imports."""
    timed = (
        "import sys, time\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "start = time.perf_counter()\n"
        "exec(sys.argv[2])\n"
        "print((time.perf_counter() - start) * 1000)\n"
    )
    traced = (
        "import sys, tracemalloc\n"
        "sys.path.insert(0, sys.argv[1])\n"
        f"{STDLIB_IMPORTS}\n"
        "tracemalloc.start()\n"
        "import mp_mm_1308\n"
        "print(tracemalloc.get_traced_memory()[int(sys.argv[2])] / 1024)\n"
    )

    def run(script: str, *args: str) -> float:
        command = [sys.executable, "-c", script, str(EVALUATOR.parent), *args]
        return min(
            float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
            for _ in range(max(3, repeats))
        )

    stdlib = run(timed, STDLIB_IMPORTS)
    evaluator = run(timed, "import mp_mm_1308")
    kept, peak = run(traced, "0"), run(traced, "1")
    return [
        ("the standard-library modules it imports, in a fresh interpreter (ms)", stdlib, 1.0),
        ("`import mp_mm_1308` in a fresh interpreter (ms)", evaluator, evaluator / stdlib),
        ("memory the module keeps after import (KB, tracemalloc)", kept, 0.0),
        ("memory at the peak of the import (KB, tracemalloc)", peak, 0.0),
    ]


def sql_batch(rows: int, repeats: int, work: Path) -> list[tuple[str, float, float]]:
    """`policyc batch` on DuckDB, Parquet to Parquet, against DuckDB only copying the same columns
    (the I/O floor) and against the Python evaluator deciding the same requests."""
    import duckdb
    import pyarrow as pa

    from compiler.batch import PRIOR, arrow_schema, decide_file, typed_row

    policy = load(SOURCE)
    distinct = requests(min(rows, 50_000))
    typed = [typed_row(policy, i, r) for i, r in enumerate(distinct, start=1)]
    valid = [row for row in typed if not row[PRIOR]]
    sample = [r for r, row in zip(distinct, typed, strict=True) if not row[PRIOR]]
    for row in valid:
        del row[PRIOR]
    schema = arrow_schema(policy)
    table = pa.Table.from_pylist(valid, schema=schema.remove(schema.get_field_index(PRIOR)))
    source, target = work / "requests.parquet", work / "decisions.parquet"
    con = duckdb.connect()
    con.register("sample", table)
    columns = ", ".join(f'"{name}"' for name in table.column_names if name != "row_id")
    repeat = -(-rows // len(valid))
    con.execute(
        f"COPY (SELECT row_number() OVER () AS row_id, {columns} FROM sample, range({repeat}) LIMIT {rows}) "
        f"TO '{source}' (FORMAT parquet)"
    )
    floor_query = f"COPY (SELECT * FROM read_parquet('{source}')) TO '{target}' (FORMAT parquet)"

    def timed(run: Callable[[], object]) -> float:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        return best / rows * 1e6

    floor = timed(lambda: con.execute(floor_query))
    lean = timed(lambda: decide_file(policy, source, target))
    explained = timed(lambda: decide_file(policy, source, target, explain=True))
    module = python.load_module(policy)
    evaluator = per_item(lambda r: module.evaluate(r, explain=False), sample[:20_000], repeats)
    # Spark in local mode on the first `spark_rows` of the same file: its fixed costs (planning, a
    # JVM, a job) are seconds, so it runs on fewer rows, and each figure is per row.
    spark_rows = min(rows, 1_000_000)
    part = work / "requests-spark.parquet"
    con.execute(f"COPY (SELECT * FROM read_parquet('{source}') LIMIT {spark_rows}) TO '{part}' (FORMAT parquet)")
    decide_file(policy, part, target, explain=True, engine="spark")  # the JVM warmed, as in a long job
    on_spark = timed(lambda: decide_file(policy, part, target, explain=True, engine="spark")) * rows / spark_rows
    return [
        ("DuckDB reading and writing the same columns: the I/O floor (µs per row)", floor, 1.0),
        ("`policyc batch` on DuckDB (µs per row)", lean, lean / floor),
        ("`policyc batch --explain` on DuckDB (µs per row)", explained, explained / floor),
        ("the Python evaluator, `explain=False`, one process (µs per decision)", evaluator, evaluator / explained),
        (
            f"`policyc batch --explain --engine spark`, local mode, {spark_rows:,} rows (µs per row)",
            on_spark,
            on_spark / explained,
        ),
    ]


def sql_agreement(per_policy: int) -> list[tuple[str, float, float]]:
    """Every shipped policy's generated requests (unknown, invalid and boundary values) decided from
    JSON Lines on DuckDB and on Spark, each row held against the reference interpreter."""
    import pyarrow.parquet as pq

    from compiler import find_sources, jsontext
    from compiler.batch import decide_file
    from tests.targets.sql.test_duckdb import expected, found, only_carried
    from tests.test_interpret import random_requests

    compared = {"duckdb": 0, "spark": 0}
    disagreements = {"duckdb": 0, "spark": 0}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for source in find_sources([ROOT / "policies"]):
            policy = load(source)
            batch = random_requests(policy, per_policy, seed=len(source.stem))
            path = work / "requests.jsonl"
            path.write_text("".join(jsontext.dumps(r) + "\n" for r in batch), encoding="utf-8")
            wanted = [expected(policy, r) for r in batch]
            for engine in compared:
                out = work / f"{engine}.parquet"
                decide_file(policy, path, out, explain=True, engine=engine)
                for row in pq.read_table(out).to_pylist():
                    compared[engine] += 1
                    disagreements[engine] += only_carried(policy, found(row)) != wanted[row["row_id"] - 1]
    return [
        (f"rows decided on {engine} and compared with the interpreter (disagreements: {disagreements[engine]})", n, 0.0)
        for engine, n in compared.items()
    ]


# -- Report ---------------------------------------------------------------------------------------


def table(rows: list[tuple[str, float, float]], unit: str) -> str:
    lines = [f"| measure | {unit} | ratio |", "|---|---:|---:|"]
    for name, value, ratio in rows:
        shown = f"{ratio:.2f}x" if ratio else ""
        lines.append(f"| {name} | {value:,.2f} | {shown} |")
    return "\n".join(lines)


def machine() -> str:
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("lark", "jinja2", "policyc"))
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} cores; {versions}."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run for the tests")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="the page to update")
    args = parser.parse_args(argv)
    quick = args.quick
    decisions, lines = (2_000, 2_000) if quick else (100_000, 1_000_000)
    sql_rows = 2_000 if quick else 10_000_000
    agreement = 250 if quick else 125_000  # per policy: a million in all
    corpora, repeats = ((4, 8) if quick else (250, 1000)), (1 if quick else 3)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sections = [
            (f"1. Per decision, {decisions:,} requests", table(per_decision(decisions, repeats), "µs per decision")),
            (f"2. Batch, {lines:,} JSON lines", table(batch(lines, repeats, work), "µs per line")),
            ("3. Compilation", table(compilation(corpora, repeats, work), "value")),
            ("4. Importing a generated evaluator", table(import_cost(repeats), "value")),
            (
                f"5. SQL on DuckDB and Spark, {sql_rows:,} requests, Parquet to Parquet",
                table(sql_batch(sql_rows, repeats, work), "value"),
            ),
            (
                f"6. SQL against the interpreter, {agreement * 8:,} requests of the 8 policies",
                table(sql_agreement(agreement), "rows"),
            ),
            ("7. Analysis with the SMT solver", table(analysis(repeats), "value")),
        ]
    body = "\n\n".join(f"### {title}\n\n{text}" for title, text in sections)
    results = f"<!-- results -->\nMeasured {'(quick run) ' if quick else ''}on {machine()}\n\n{body}\n<!-- /results -->"
    page = (
        args.out.read_text(encoding="utf-8")
        if args.out.exists()
        else "# Benchmarks\n\n<!-- results --><!-- /results -->\n"
    )
    args.out.write_text(RESULTS.sub(lambda _: results, page), encoding="utf-8")
    print(body)
    return 0
