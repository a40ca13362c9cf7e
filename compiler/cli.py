"""The `policyc` command: check, build and eval.

Exit codes: 0 ok, 1 errors in policies or inputs, 2 usage (argparse's own).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import subprocess
import sys
import time
import types
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from compiler import __version__, compile_file, compile_source, find_sources, jsontext, load, read_source
from compiler.diagnostics import CompileError, Diagnostic, Severity, display_path, render_all, visible
from compiler.model import Policy

if TYPE_CHECKING:
    from compiler.analysis.impact import Proof
    from compiler.diff import Change
    from compiler.targets import OutputFile
    from compiler.testing import Coverage

# The targets (and jinja2) are imported by the commands that need them, so `check` starts fast.

DEFAULT_SOURCES = Path("policies")
DEFAULT_OUT = Path("generated")
DEFAULT_DOCS = Path("docs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="policyc", description="Compile medical policies written as code.")
    parser.add_argument("--version", action="version", version=f"policyc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="report every error and warning in policy sources")
    check.add_argument("paths", nargs="*", type=Path, help="policy files or directories (default: policies/)")
    check.add_argument("--timeout", type=_seconds, default=10.0, help="seconds per solver question (default: 10)")

    build_cmd = commands.add_parser("build", help="compile policies into generated/")
    build_cmd.add_argument("paths", nargs="*", type=Path, help="policy files or directories (default: policies/)")
    build_cmd.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: generated/)")
    build_cmd.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="docs directory for pages (default: docs/)")
    build_cmd.add_argument("--check", action="store_true", help="write nothing; exit 1 if the output is stale")
    build_cmd.add_argument(
        "--jobs", "-j", type=int, default=os.cpu_count() or 1, help="policies compiled at once (default: all cores)"
    )

    evaluate = commands.add_parser("eval", help="decide requests with a policy's evaluator")
    evaluate.add_argument("policy", help="a policy file, or the id of a policy in policies/")
    evaluate.add_argument("--input", required=True, help="a JSON object or JSON Lines file, or - for stdin")
    evaluate.add_argument("--explain", action="store_true", help="print each decision for a person")

    batch_cmd = commands.add_parser("batch", help="decide a file of requests in a SQL engine (DuckDB or Spark)")
    batch_cmd.add_argument("policy", help="a policy id or source file")
    batch_cmd.add_argument("--input", required=True, type=Path, help="requests: .parquet, .jsonl or .csv")
    batch_cmd.add_argument("--output", required=True, type=Path, help="decisions: .parquet or .jsonl")
    batch_cmd.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb", help="Spark runs in local mode")
    batch_cmd.add_argument("--explain", action="store_true", help="add each criterion's result")
    test_cmd = commands.add_parser("test", help="run the test cases written next to each policy (X.tests)")
    test_cmd.add_argument("paths", nargs="*", type=Path, help="policies, tests or directories (default: policies/)")
    test_cmd.add_argument("--coverage", action="store_true", help="report which rule and provision values were reached")
    test_cmd.add_argument("--min-coverage", type=float, metavar="N", help="fail when coverage is below N percent")
    test_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    test_cmd.add_argument(
        "--suggest", action="store_true", help="print cases (.tests format) that reach what the cases do not"
    )
    test_cmd.add_argument("--timeout", type=_seconds, default=10.0, help="seconds per solver question (default: 10)")

    fmt_cmd = commands.add_parser("fmt", help="rewrite policy sources and their test files in the canonical layout")
    fmt_cmd.add_argument("paths", nargs="*", type=Path, help="policy or test files, directories (default: policies/)")
    fmt_cmd.add_argument("--check", action="store_true", help="write nothing; show a diff and exit 1 if unformatted")

    diff_cmd = commands.add_parser("diff", help="what changed in meaning between two revisions, and which decisions")
    diff_cmd.add_argument("old", type=Path, help="the old policy file (or the file itself, with --rev)")
    diff_cmd.add_argument("new", type=Path, nargs="?", help="the new policy file (default: OLD as it is now)")
    diff_cmd.add_argument("--rev", help="take the old revision from git at this revision (e.g. HEAD~1)")
    diff_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    diff_cmd.add_argument(
        "--requests", type=Path, help="decide these requests (.parquet, .jsonl, .csv) with both revisions and count"
    )
    diff_cmd.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb", help="for --requests")
    diff_cmd.add_argument("--samples", type=int, default=5, help="sample requests shown per change (default: 5)")
    diff_cmd.add_argument("--timeout", type=_seconds, default=10.0, help="seconds per solver question (default: 10)")

    schema_cmd = commands.add_parser("schema", help="print a policy's JSON Schema")
    schema_cmd.add_argument("policy", help="a policy file, or the id of a policy in policies/")
    schema_cmd.add_argument("--decision", action="store_true", help="the decision's schema, not the request's")

    serve_cmd = commands.add_parser("serve", help="run the policies as a service: decisions, CDS Hooks (CRD), DTR")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve_cmd.add_argument("--policies", type=Path, default=DEFAULT_SOURCES, help="policies and bindings (policies/)")
    serve_cmd.add_argument("--profile", default="us-core", help="the FHIR bindings to use: X.PROFILE.bindings")
    serve_cmd.add_argument("--workers", type=int, default=1, help="worker processes (one per core in production)")
    serve_cmd.add_argument("--decision-log", type=Path, help="append each decision to this JSON Lines file")
    serve_cmd.add_argument("--log-facts", action="store_true", help="put the facts in the log (health information)")

    new_cmd = commands.add_parser("new", help="start a policy: ID.policy and ID.tests that check, test and build")
    new_cmd.add_argument("policy_id", metavar="ID", help="the policy's id (letters, digits, '.', '_', '-')")
    new_cmd.add_argument("--title", help="the policy's title")
    new_cmd.add_argument("--dir", type=Path, default=DEFAULT_SOURCES, help="where to write (default: policies/)")
    commands.add_parser("lsp", help="the editor server: Language Server Protocol over standard input and output")
    for watched in (check, build_cmd, test_cmd):
        watched.add_argument("--watch", action="store_true", help="run again each time a policy or test is saved")

    args = parser.parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:  # the reader stopped reading (`policyc fmt --check | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that exiting flushes nowhere
        return 1


def _seconds(text: str) -> float:
    """A time bound for each question to the solver: more than 0 and at most an hour."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError("takes more than 0 and at most 3600 seconds")
    return seconds


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "watch", False):
        from compiler.watch import watch

        args.watch = False
        return watch(lambda: _run(args), args.paths or [DEFAULT_SOURCES])
    if args.command == "new":
        return run_new(args.policy_id, args.dir, args.title)
    if args.command == "lsp":
        from compiler.lsp import main as serve_lsp

        return serve_lsp()
    if args.command == "check":
        return run_check(args.paths or [DEFAULT_SOURCES], args.timeout)
    if args.command == "build":
        return run_build(args.paths or [DEFAULT_SOURCES], {"out": args.out, "docs": args.docs}, args.check, args.jobs)
    if args.command == "schema":
        return run_schema(args.policy, args.decision)
    if args.command == "batch":
        return run_batch(args.policy, args.input, args.output, args.engine, args.explain)
    if args.command == "fmt":
        return run_fmt(args.paths or [DEFAULT_SOURCES], args.check)
    if args.command == "diff":
        return run_diff(args.old, args.new, args.rev, args.json, args.requests, args.engine, args.samples, args.timeout)
    if args.command == "test":
        options = {"suggest": args.suggest, "timeout": args.timeout}
        return run_test(args.paths or [DEFAULT_SOURCES], args.coverage, args.min_coverage, args.json, **options)
    if args.command == "serve":
        return run_serve(args)
    return run_eval(args.policy, args.input, args.explain)


def _report(diagnostics: list[Any], sources: dict[str, str]) -> None:
    if diagnostics:
        print(render_all(diagnostics, sources), file=sys.stderr)
        errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
        warnings = len(diagnostics) - errors
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)


def run_check(paths: list[Path], timeout: float = 10.0) -> int:
    from compiler.analysis.lint import lint
    from compiler.analysis.space import Unsupported
    from compiler.fhir import bindings as fhir_bindings

    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    checked, timeouts = 0, 0
    for path in find_sources(paths):
        name = display_path(path)
        policy, found, sources[name] = compile_file(path, name)
        diagnostics += found
        if policy is not None:
            checked += 1
            for found_bindings in fhir_bindings.find(path):  # X.PROFILE.bindings: its FHIR bindings
                where = display_path(found_bindings)
                _, problems, sources[where] = fhir_bindings.load(found_bindings, policy, where)
                diagnostics += problems
            try:
                more, late = lint(policy, name, timeout)
            except Unsupported as exc:
                print(f"{name}: not analysed by the solver: {exc}")
                continue
            diagnostics += more
            timeouts += late
    _report(diagnostics, sources)
    if timeouts:
        print(f"{timeouts} question(s) to the solver ran out of time ({timeout:g} s): no warning is given for them")
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return 1
    print(f"checked {checked} policies: ok")
    return 0


def run_build(paths: list[Path], roots: dict[str, Path], check: bool, jobs: int = 1) -> int:
    from compiler.build import build

    try:
        result = build(paths, roots, check, max(1, jobs))
    except OSError as exc:  # an output path that is a file, a directory, read-only, too long...
        where = f" {display_path(Path(exc.filename))}" if exc.filename else ""
        print(f"policyc build: cannot write{where}: {exc.strerror or exc}; the output is as it was", file=sys.stderr)
        return 1
    _report(result.diagnostics, result.sources)
    if result.failed:
        print("build failed: nothing was written", file=sys.stderr)
        return 1

    def shown(output: OutputFile) -> str:
        return display_path(roots[output[0]] / output[1])

    if check:
        for output in result.changed:
            print(f"{shown(output)}: differs from what the sources compile to", file=sys.stderr)
        for output in result.removed:
            print(f"{shown(output)}: no source generates it any more", file=sys.stderr)
        if result.changed or result.removed:
            print("run `policyc build` and commit the result", file=sys.stderr)
            return 1
        print(f"up to date: {len(result.files)} files from {len(result.policies)} policies")
        return 0
    print(
        f"built {len(result.policies)} policies: {len(result.changed)} files written, "
        f"{len(result.removed)} removed, {len(result.files) - len(result.changed)} unchanged"
    )
    return 0


def _find_policy(name: str) -> Path | None:
    path = Path(name)
    if path.is_file():
        return path
    candidate = DEFAULT_SOURCES / f"{name}.policy"
    return candidate if candidate.is_file() else None


def _requests(handle: IO[str]) -> Iterable[str]:
    """The text of each request: one JSON document, or one a line (JSON Lines); blank lines come too."""
    first, second = handle.readline(), handle.readline()
    if first.strip() and second.strip() and not _is_json(first):
        # Perhaps one pretty-printed JSON document; if not, JSON Lines whose first line is bad.
        text = first + second + handle.read()
        if _is_json_object(text):
            return [text]
        return io.StringIO(text)  # lines end at "\n" only, as in the file
    return itertools.chain((first, second), handle)


_JSON_WHITESPACE = " \t\r\n"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def _load_policy(command: str, name: str) -> Policy | int:
    """The compiled policy, or the exit code after reporting why there is none."""
    path = _find_policy(name)
    if path is None:
        print(f"policyc {command}: no policy file or id {name!r}", file=sys.stderr)
        return 2
    try:
        return load(path, display_path(path))
    except CompileError as exc:
        _report(exc.diagnostics, exc.sources)
        return 1


def run_test(
    paths: list[Path],
    show_coverage: bool,
    min_coverage: float | None,
    as_json: bool,
    suggest: bool = False,
    timeout: float = 10.0,
) -> int:
    from compiler import testing
    from compiler.targets import python

    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    reports: list[dict[str, Any]] = []
    failed = False
    for path in find_sources([p.with_suffix(".policy") if p.suffix == ".tests" else p for p in paths]):
        name = display_path(path)
        policy, found, sources[name] = compile_file(path, name)
        diagnostics += found
        if policy is None:
            failed = True
            continue
        report: dict[str, Any] = {"policy": policy.policy_id, "file": name, "tests": None, "cases": 0, "failures": []}
        evaluator = python.load_module(policy)
        reports.append(report)
        tests = testing.tests_path(path)
        results: list[testing.Result] = []
        if tests.exists() or tests.is_symlink():  # a directory or a FIFO there is an error, not "no tests"
            report["tests"] = tests_name = display_path(tests)
            text, found = read_source(tests, tests_name)
            sources[tests_name] = text or ""
            if text is not None:
                cases, found = testing.load_cases(policy, text, tests_name)
            diagnostics += found
            if any(d.severity is Severity.ERROR for d in found):
                failed = True
                continue
            results = testing.run(policy, cases, evaluator)
        report["cases"] = len(results)
        report["failures"] = [
            {"case": r.case.title, "line": r.case.span.line, "column": r.case.span.column, "problems": r.problems}
            for r in results
            if not r.passed
        ]
        failed |= bool(report["failures"])
        covered = testing.coverage(policy, results)
        report["coverage"] = covered.to_dict()
        percent = covered.percent
        if suggest or show_coverage or min_coverage is not None:
            reached = {r.decision.outcome for r in results if r.decision is not None}
            percent = _suggest(policy, covered, reached, evaluator, timeout, report, suggest)
        if min_coverage is not None and percent < min_coverage:
            report["below_minimum"] = True
            failed = True
    _report(diagnostics, sources)
    if as_json:
        print(jsontext.dumps({"passed": not failed, "policies": reports}, indent=2))
    else:
        for report in reports:
            _print_test_report(report, show_coverage or min_coverage is not None, min_coverage, suggest)
    return 1 if failed else 0


def _suggest(
    policy: Policy,
    covered: Coverage,
    reached: set[str],
    evaluator: types.ModuleType,
    timeout: float,
    report: dict[str, Any],
    write: bool,
) -> float:
    """Ask the solver about what the cases leave open: cases that reach it (printed with `write`) and
    the gaps no request can fill; the coverage of what can be reached."""
    from compiler.analysis import suggest

    open_targets = suggest.targets(policy, covered, reached)
    found, gaps, bound = suggest.suggest(policy, open_targets, evaluator, timeout)
    rows = [g for g in gaps if g.proved and g.target.kind != "outcome"]
    reachable = covered.total - len(rows)
    percent = 100.0 * covered.covered / reachable if reachable else 100.0
    report["coverage"]["reachable_percent"] = round(percent, 1)
    report["coverage"]["gaps"] = [
        {"kind": g.target.kind, "label": g.target.label, "side": g.target.side, "line": g.target.line}
        | {"reason": g.reason, "proved": g.proved}
        for g in gaps
    ]
    report["coverage"]["suggested"] = [s.target.text for s in found]
    report["coverage"]["bound"] = bound
    if write and found:
        print(f"# policyc test --suggest: cases for {policy.policy_id} that reach what its cases do not.")
        print("# Review each before keeping it: it expects what the policy decides today.")
        for suggestion in found:
            print(f"\n# Reaches {suggestion.target.text}.")
            print(suggestion.case(f"Suggested: {suggestion.target.text}"))
    return percent


def _print_test_report(
    report: dict[str, Any], show_coverage: bool, min_coverage: float | None, suggest: bool = False
) -> None:
    if suggest:  # standard output carries the suggested cases alone
        with contextlib.redirect_stdout(sys.stderr):
            _print_test_report(report, True, min_coverage)
        return
    if report["tests"] is None:
        print(f"{report['policy']}: no test cases ({report['file'].removesuffix('.policy')}.tests does not exist)")
    for failure in report["failures"]:
        for problem in failure["problems"]:
            where = f'{report["tests"]}:{failure["line"]}:{failure["column"]}'
            print(visible(f'{where}: FAIL "{failure["case"]}": {problem}'))  # a title cannot drive the terminal
    failures = len(report["failures"])
    print(f"{report['policy']}: {report['cases'] - failures} passed, {failures} failed")
    if not show_coverage or "coverage" not in report:
        return
    covered = report["coverage"]
    print(
        f"{report['policy']} coverage: {covered['percent']:.1f}% "
        f"({covered['covered']} of {covered['total']} values of its rules and provisions)"
    )
    gaps = {(g["kind"], g["label"], g["side"]): g["reason"] for g in covered.get("gaps", [])}
    suggested = set(covered.get("suggested", []))
    for item in covered["items"]:
        for side in ("true", "false", "unknown"):
            if not item[side]:
                why = gaps.get((item["kind"], item["label"], side))
                why = f": {why}" if why else " (a case can reach it: policyc test --suggest)" if suggested else ""
                print(f"  {report['file']}:{item['line']}: {item['kind']} {item['label']} was never {side}{why}")
    for (kind, label, _), reason in gaps.items():
        if kind == "outcome":
            print(f"  {report['file']}: outcome {label} is reached by no case: {reason}")
    if "reachable_percent" in covered and covered["reachable_percent"] != covered["percent"]:
        print(f"{report['policy']}: {covered['reachable_percent']:.1f}% of the values that a request can reach")
    if report.get("below_minimum"):
        shown = covered.get("reachable_percent", covered["percent"])
        print(f"{report['policy']}: coverage {shown:.1f}% is below the minimum of {min_coverage:g}%")


def run_fmt(paths: list[Path], check: bool) -> int:
    import difflib

    from compiler.syntax.fmt import format_source, format_tests

    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    unformatted = 0
    targets = [p for p in paths if not p.is_dir()]  # a directory: its policies and their test files
    targets += [found for p in paths if p.is_dir() for found in sorted([*p.rglob("*.policy"), *p.rglob("*.tests")])]
    for path in targets:
        name = display_path(path)
        text, found = read_source(path, name)
        if text is None:
            diagnostics += found
            continue
        sources[name] = text
        formatted, found = (format_tests if path.suffix == ".tests" else format_source)(text, name)
        diagnostics += [d for d in found if d.severity is Severity.ERROR]
        if formatted is None or formatted == text:
            continue
        unformatted += 1
        if check:
            lines = difflib.unified_diff(
                text.splitlines(keepends=True), formatted.splitlines(keepends=True), name, f"{name} (formatted)"
            )
            sys.stdout.writelines(lines)
        else:
            path.write_text(formatted, encoding="utf-8")
            print(f"reformatted {name}")
    _report(diagnostics, sources)
    if diagnostics:
        return 1
    if check and unformatted:
        print(f"{unformatted} file(s) would be reformatted", file=sys.stderr)
        return 1
    return 0


def run_diff(
    old_path: Path,
    new_path: Path | None,
    rev: str | None,
    as_json: bool,
    requests: Path | None = None,
    engine: str = "duckdb",
    samples: int = 5,
    timeout: float = 10.0,
) -> int:
    from compiler import diff
    from compiler.analysis.impact import prove
    from compiler.targets import python

    if (new_path is None) == (rev is None):
        print("policyc diff: give two policy files, or one and --rev", file=sys.stderr)
        return 2
    if requests is not None and not requests.is_file():
        print(f"policyc diff: cannot read {requests}: no such file", file=sys.stderr)
        return 1
    if not 0 <= samples <= 1000:
        print("policyc diff: --samples takes 0 to 1000", file=sys.stderr)
        return 2
    sources: dict[str, str] = {}
    if rev is not None:
        old_name = f"{display_path(old_path)}@{rev}"
        shown = subprocess.run(
            ["git", "show", f"{rev}:./{old_path.name}"], cwd=old_path.parent, capture_output=True, text=True
        )
        if shown.returncode != 0:
            print(f"policyc diff: git show {rev}: {shown.stderr.strip()}", file=sys.stderr)
            return 1
        sources[old_name] = shown.stdout
        old, diagnostics = compile_source(shown.stdout, old_name)
    else:
        old_name = display_path(old_path)
        old, diagnostics, sources[old_name] = compile_file(old_path, old_name)
    new_path = new_path or old_path
    new_name = display_path(new_path)
    new, more, sources[new_name] = compile_file(new_path, new_name)
    if old is None or new is None:
        _report(diagnostics + more, sources)
        return 1
    found = diff.changes(old, new)
    if requests is not None:
        return _request_impact(old, new, (old_name, new_name), found, requests, engine, samples, as_json)
    evaluators = (python.load_module(old), python.load_module(new))
    proof = prove(old, new, evaluators, timeout)
    impact = diff.impact(old, new, *evaluators) if found else None
    if as_json:
        report = {
            "old": old_name,
            "new": new_name,
            "changes": [c.to_dict() for c in found],
            "proof": proof.to_dict(),
            "impact": impact.to_dict() if impact else None,
        }
        print(jsontext.dumps(report, indent=2))
        return 0
    print(f"{old.policy_id}: {old_name} -> {new_name}")
    for change in found:
        print(f"  {change.text}")
    if not found:
        print("  no change in meaning")
    _print_proof(proof)
    if impact is not None:
        print(
            f"cross-check by sampling: {impact.changed:,} of {impact.searched:,} requests tried "
            f"({impact.search}) change outcome or section"
        )
    return 0


def _print_proof(proof: Proof) -> None:
    bound = f", {proof.bound}" if proof.bound else ""
    if proof.status == "unchanged":
        print(f"decision impact (proved{bound}): no request changes outcome, section or terms")
        return
    if proof.status == "changed":
        print(
            f"decision impact (proved{bound}): {len(proof.witnesses)} pair(s) of decisions change; "
            "every other request is decided as before"
        )
    else:
        print(f"decision impact (not proved: {proof.reason}): the changes found so far")
    for witness in proof.witnesses:
        print(f"  {witness.old} -> {witness.new}")
        if witness.region:
            print(f"    where {', '.join(witness.region)}")
        checked = "both evaluators agree" if witness.confirmed else "NOT CONFIRMED by the evaluators: please report"
        print(f"    for example {jsontext.dumps(witness.request)} ({checked})")


def _request_impact(
    old: Policy,
    new: Policy,
    names: tuple[str, str],
    found: list[Change],
    requests: Path,
    engine: str,
    samples: int,
    as_json: bool,
) -> int:
    """`policyc diff --requests`: both revisions decide every request of the file, counted by change."""
    from compiler import batch

    try:
        impact = batch.impact_file(old, new, requests, engine, samples)
    except batch.BatchError as exc:
        print(f"policyc diff: {exc}", file=sys.stderr)
        return 1
    if as_json:
        report = {
            "old": names[0],
            "new": names[1],
            "changes": [c.to_dict() for c in found],
            "requests": {"file": str(requests), "engine": engine, **impact.to_dict()},
        }
        print(jsontext.dumps(report, indent=2))
        return 0
    print(f"{old.policy_id}: {names[0]} -> {names[1]}")
    for change in found:
        print(f"  {change.text}")
    if not found:
        print("  no change in meaning")
    share = f" ({impact.changed / impact.requests:.2%})" if impact.requests else ""
    print(
        f"decision impact on {impact.requests:,} requests in {requests} ({engine}): "
        f"{impact.changed:,} decided differently{share}"
    )
    width = max((len(f"{s.requests:,}") for s in impact.shifts), default=1)
    for shift in impact.shifts:
        old_side, new_side = _decided(shift.old), _decided(shift.new)
        if not shift.changed:
            print(f"  {shift.requests:>{width},}  {old_side}, unchanged")
            continue
        print(f"  {shift.requests:>{width},}  {old_side} -> {new_side}")
        for row_id in shift.samples:
            shown = impact.samples.get(row_id)
            request = jsontext.dumps(shown) if shown is not None else "(not valid JSON)"
            print(f"  {'':>{width}}    row {row_id}: {request}")
    return 0


def _decided(side: tuple[str, str | None]) -> str:
    return side[0] if side[1] is None else f"{side[0]} ({side[1]})"


def run_schema(policy_name: str, decision: bool) -> int:
    from compiler.targets import schema

    policy = _load_policy("schema", policy_name)
    if isinstance(policy, int):
        return policy
    print(schema.dump(schema.decision_schema(policy) if decision else schema.request_schema(policy)), end="")
    return 0


def run_batch(policy_name: str, source: Path, target: Path, engine: str, explain: bool) -> int:
    """Decide every request of a file in a SQL engine; exit 1 when any was invalid, as `eval` does."""
    from compiler import batch

    policy = _load_policy("batch", policy_name)
    if isinstance(policy, int):
        return policy
    if not source.is_file():
        print(f"policyc batch: cannot read {source}: no such file", file=sys.stderr)
        return 1
    progress = _Progress() if sys.stderr.isatty() else None
    try:
        summary = batch.decide_file(policy, source, target, explain, progress.update if progress else None, engine)
    except batch.BatchError as exc:
        print(f"policyc batch: {exc}", file=sys.stderr)
        return 1
    if progress is not None:
        progress.finish()
    for column in summary.lacking:
        print(f"policyc batch: {source} has no column {column}: unknown in every request", file=sys.stderr)
    print(f"{summary.rows:,} requests decided, {summary.invalid:,} invalid: {target}", file=sys.stderr)
    return 1 if summary.invalid else 0


def run_new(policy_id: str, directory: Path, title: str | None) -> int:
    from compiler.scaffold import scaffold

    written, problems = scaffold(policy_id, directory, title)
    if isinstance(problems, str):
        print(f"policyc new: {problems}", file=sys.stderr)
        return 1
    if problems:
        _report(problems, {})
        return 1
    for path in written:
        print(f"wrote {display_path(path)}")
    print("next: edit them, then `policyc check`, `policyc test` and `policyc build`, which writes its page")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Check every policy and bindings file, then serve them with uvicorn until interrupted."""
    import uvicorn

    from compiler.service.registry import load

    served, diagnostics, sources = load(args.policies, args.profile)
    _report(diagnostics, sources)
    if not served:
        print(f"policyc serve: no policy to serve in {args.policies}", file=sys.stderr)
        return 1
    os.environ.update({"POLICYC_POLICIES": str(args.policies), "POLICYC_PROFILE": args.profile})
    os.environ["POLICYC_DECISION_LOG"] = str(args.decision_log or "")
    os.environ["POLICYC_LOG_FACTS"] = "1" if args.log_facts else ""
    app = "compiler.service.app:from_environment"
    uvicorn.run(app, factory=True, host=args.host, port=args.port, workers=args.workers, log_level="warning")
    return 0


def run_eval(policy_name: str, source: str, explain: bool) -> int:
    policy = _load_policy("eval", policy_name)
    if isinstance(policy, int):
        return policy
    from compiler.targets import python

    evaluator = python.load_module(policy)
    if source == "-" and sys.stdin is None:
        print("policyc eval: standard input is closed", file=sys.stderr)
        return 2
    if source == "-" and isinstance(sys.stdin, io.TextIOWrapper):
        # A bad byte is a bad line, not the end of the run; lines end at "\n" only, as in a file.
        sys.stdin.reconfigure(errors="surrogateescape", newline="\n")
    try:
        handle: IO[str] = (
            sys.stdin
            if source == "-"
            else open(source, encoding="utf-8", errors="surrogateescape", newline="\n")  # noqa: SIM115
        )
    except OSError as exc:
        print(f"policyc eval: cannot read {source}: {exc.strerror}", file=sys.stderr)
        return 1
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):  # an echoed lone surrogate must not end the run
        out.reconfigure(errors="backslashreplace")
    progress = _Progress() if sys.stderr.isatty() else None
    try:
        with handle:
            interactive = source == "-" and sys.stdin.isatty()  # a person typing waits for each answer
            invalid = _decide_lines(evaluator, _requests(handle), out, explain, progress, 1 if interactive else 256)
            out.flush()
    except OSError as exc:  # a closed pipe (`| head`: what it read is what it wanted), a full disk
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        if isinstance(exc, BrokenPipeError):
            return 141
        print(f"policyc eval: cannot write the decisions: {exc.strerror}", file=sys.stderr)
        return 1
    if progress is not None:
        progress.finish()
    return 1 if invalid else 0


def _decide_lines(
    evaluator: types.ModuleType,
    lines: Iterable[str],
    out: IO[str],
    explain: bool,
    progress: _Progress | None,
    chunk: int = 256,
) -> int:
    """Decide each line and write its record, streaming; returns how many lines were invalid.

    Records are written `chunk` at a time: one write per record costs more than deciding it.
    """
    invalid = 0
    loads, evaluate, rejected = jsontext.decode, evaluator.evaluate, evaluator.InvalidRequest
    records: list[str] = []
    record = records.append

    def reject(error: dict[str, Any]) -> None:
        nonlocal invalid
        invalid += 1
        record((_line_error(error) if explain else json.dumps(error)) + "\n")
    for number, text in enumerate(lines, start=1):
        if number == 1:
            text = text.removeprefix("\ufeff")  # a byte order mark is not part of the first request
        if not text.strip(_JSON_WHITESPACE):  # other "blank" characters make a malformed line, with its record
            continue
        if len(records) >= chunk:
            out.write("".join(records))
            records.clear()
            if progress is not None and number - progress.count > 4096:
                progress.update(number - 1)
        try:
            request = loads(text)
        except ValueError as exc:
            reject({"line": number, "error": "malformed_json", "message": str(exc)})
            continue
        try:
            decision = evaluate(request)
        except rejected as exc:
            reject({"line": number, **exc.to_dict()})
            continue
        except Exception as exc:  # noqa: BLE001  a bug must cost one line's record, never the batch
            reject({"line": number, "error": "evaluation_failed", "message": f"{type(exc).__name__}: {exc}"})
            continue
        if explain:
            record(f"-- request on line {number}\n{evaluator.explain(decision)}\n\n")
        else:
            record(decision.to_json() + "\n")
    out.write("".join(records))
    return invalid


class _Progress:
    """Requests decided and the rate, redrawn on standard error (only when it is a terminal)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.count = 0

    def update(self, count: int) -> None:
        self.count = count
        rate = count / max(time.perf_counter() - self.start, 1e-9)
        sys.stderr.write(f"\r{count:,} requests decided ({rate:,.0f}/s)")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.count:
            sys.stderr.write("\n")


def _line_error(record: dict[str, Any]) -> str:
    head = f"-- request on line {record['line']}: {record['error'].replace('_', ' ')}"
    if "errors" in record:
        return "\n".join([head, *(f"  {e['field']}: {e['message']}" for e in record["errors"])]) + "\n"
    return f"{head}: {record['message']}\n"


if __name__ == "__main__":
    sys.exit(main())
