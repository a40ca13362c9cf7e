"""The `policyc` command: check, build and eval.

Exit codes: 0 ok, 1 errors in policies or inputs, 2 usage (argparse's own).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from compiler import load
from compiler.build import build, compile_all
from compiler.diagnostics import CompileError, Severity, display_path, render_all
from compiler.model import Policy
from compiler.targets import OutputFile, python, schema

DEFAULT_SOURCES = Path("policies")
DEFAULT_OUT = Path("generated")
DEFAULT_DOCS = Path("docs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="policyc", description="Compile medical policies written as code.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="report every error and warning in policy sources")
    check.add_argument("paths", nargs="*", type=Path, help="policy files or directories (default: policies/)")

    build_cmd = commands.add_parser("build", help="compile policies into generated/")
    build_cmd.add_argument("paths", nargs="*", type=Path, help="policy files or directories (default: policies/)")
    build_cmd.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: generated/)")
    build_cmd.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="docs directory for pages (default: docs/)")
    build_cmd.add_argument("--check", action="store_true", help="write nothing; exit 1 if the output is stale")

    evaluate = commands.add_parser("eval", help="decide requests with a policy's evaluator")
    evaluate.add_argument("policy", help="a policy file, or the id of a policy in policies/")
    evaluate.add_argument("--input", required=True, help="a JSON object or JSON Lines file, or - for stdin")
    evaluate.add_argument("--explain", action="store_true", help="print each decision for a person")

    schema_cmd = commands.add_parser("schema", help="print a policy's JSON Schema")
    schema_cmd.add_argument("policy", help="a policy file, or the id of a policy in policies/")
    schema_cmd.add_argument("--decision", action="store_true", help="the decision's schema, not the request's")

    args = parser.parse_args(argv)
    if args.command == "check":
        return run_check(args.paths or [DEFAULT_SOURCES])
    if args.command == "build":
        return run_build(args.paths or [DEFAULT_SOURCES], {"out": args.out, "docs": args.docs}, args.check)
    if args.command == "schema":
        return run_schema(args.policy, args.decision)
    return run_eval(args.policy, args.input, args.explain)


def _report(diagnostics: list[Any], sources: dict[str, str]) -> None:
    if diagnostics:
        print(render_all(diagnostics, sources), file=sys.stderr)
        errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
        warnings = len(diagnostics) - errors
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)


def run_check(paths: list[Path]) -> int:
    result = compile_all(paths)
    _report(result.diagnostics, result.sources)
    if result.failed:
        return 1
    print(f"checked {len(result.policies)} policies: ok")
    return 0


def run_build(paths: list[Path], roots: dict[str, Path], check: bool) -> int:
    result = build(paths, roots, check)
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


def _requests(handle: IO[str]) -> Iterator[tuple[int, str]]:
    """(line number, text) of each request: one JSON document, or one per line (JSON Lines)."""
    first, second = handle.readline(), handle.readline()
    lines: Iterator[str] = _chain(first, second, handle)
    if first.strip() and second.strip() and not _is_json(first):
        # Perhaps one pretty-printed JSON document; if not, JSON Lines whose first line is bad.
        text = first + second + handle.read()
        if _is_json_object(text):
            yield 1, text
            return
        lines = iter(io.StringIO(text))  # lines end at "\n" only, as in the file
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line


def _chain(first: str, second: str, rest: IO[str]) -> Iterator[str]:
    yield from (line for line in (first, second) if line)
    yield from rest


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


def run_schema(policy_name: str, decision: bool) -> int:
    policy = _load_policy("schema", policy_name)
    if isinstance(policy, int):
        return policy
    print(schema.dump(schema.decision_schema(policy) if decision else schema.request_schema(policy)), end="")
    return 0


def run_eval(policy_name: str, source: str, explain: bool) -> int:
    policy = _load_policy("eval", policy_name)
    if isinstance(policy, int):
        return policy
    evaluator = python.load_module(policy)
    if source == "-" and isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")  # a bad byte is a bad line, not the end of the run
    try:
        handle: IO[str] = sys.stdin if source == "-" else open(source, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
    except OSError as exc:
        print(f"policyc eval: cannot read {source}: {exc.strerror}", file=sys.stderr)
        return 1
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):  # an echoed lone surrogate must not end the run
        out.reconfigure(errors="backslashreplace")
    progress = _Progress() if sys.stderr.isatty() else None
    with handle:
        invalid = _decide_lines(evaluator, _requests(handle), out, explain, progress)
    if progress is not None:
        progress.finish()
    return 1 if invalid else 0


def _decide_lines(
    evaluator: types.ModuleType,
    lines: Iterator[tuple[int, str]],
    out: IO[str],
    explain: bool,
    progress: _Progress | None,
) -> int:
    """Decide each line and write its record, streaming; returns how many lines were invalid."""
    invalid = 0
    write, loads, evaluate, rejected = out.write, json.loads, evaluator.evaluate, evaluator.InvalidRequest
    for number, text in lines:
        if progress is not None and number % 4096 == 0:
            progress.update(number)
        try:
            request = loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: arrays nested thousands deep
            invalid += 1
            reason = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
            record: dict[str, Any] = {"line": number, "error": "malformed_json", "message": reason}
            write((_line_error(record) if explain else json.dumps(record)) + "\n")
            continue
        try:
            decision = evaluate(request)
        except rejected as exc:
            invalid += 1
            record = {"line": number, **exc.to_dict()}
            write((_line_error(record) if explain else json.dumps(record)) + "\n")
            continue
        if explain:
            write(f"-- request on line {number}\n{evaluator.explain(decision)}\n\n")
        else:
            write(decision.to_json() + "\n")
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
