"""The policyc command line: check, build (--check) and eval, with their exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main
from tests.conftest import APPROVABLE, POLICY_SOURCE, ROOT, request_with

POLICYC = [sys.executable, "-m", "compiler.cli"]


def run(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The installed command, as an author or CI runs it."""
    executable = Path(sys.executable).parent / "policyc"
    return subprocess.run([str(executable), *args], input=stdin, capture_output=True, text=True, cwd=cwd)


def test_check_passes_on_the_policies() -> None:
    done = run("check")
    assert done.returncode == 0, done.stderr
    assert f"checked {len(list((ROOT / 'policies').glob('*.policy')))} policies: ok" in done.stdout


def test_build_check_passes_on_the_committed_output() -> None:
    done = run("build", "--check")
    assert done.returncode == 0, done.stderr


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("eval", "MP-MM-1308").returncode == 2  # --input is required
    assert run("eval", "NO-SUCH-POLICY", "--input", "-", stdin="{}").returncode == 2


def test_eval_one_json_object(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(APPROVABLE, indent=2))
    done = run("eval", "MP-MM-1308", "--input", str(request))
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)
    assert decision["outcome"] == "medically_necessary"


def test_eval_json_lines_keeps_order_and_every_line() -> None:
    lines = [
        json.dumps(request_with(age=17)),
        "not json",
        json.dumps({"age": "6"}),
        "",
        json.dumps(request_with(eckardt_score=None)),
    ]
    done = run("eval", str(POLICY_SOURCE), "--input", "-", stdin="\n".join(lines) + "\n")
    assert done.returncode == 1  # some lines were invalid
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r.get("outcome", r.get("error")) for r in records] == [
        "needs_review",
        "malformed_json",
        "invalid_request",
        "insufficient_information",
    ]
    assert records[1]["line"] == 2
    assert records[2] == {
        "line": 3,
        "error": "invalid_request",
        "errors": [{"field": "age", "message": "expected an integer, got string"}],
    }


def test_eval_json_lines_whose_first_line_is_malformed() -> None:
    stdin = "{oops\n" + json.dumps(request_with(age=17)) + "\n"
    done = run("eval", "MP-MM-1308", "--input", "-", stdin=stdin)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r.get("outcome", r.get("error")) for r in records] == ["malformed_json", "needs_review"]
    assert done.returncode == 1


def test_eval_exit_0_when_every_line_is_valid() -> None:
    stdin = "\n".join(json.dumps(request_with(state=s)) for s in ("GA", "TX")) + "\n"
    done = run("eval", "MP-MM-1308", "--input", "-", stdin=stdin)
    assert done.returncode == 0
    assert [json.loads(line)["outcome"] for line in done.stdout.splitlines()] == [
        "medically_necessary",
        "not_applicable",
    ]


def test_eval_explain_prints_outcome_section_wording_and_facts() -> None:
    stdin = json.dumps(request_with(eckardt_score=2)) + "\n"
    done = run("eval", "MP-MM-1308", "--input", "-", "--explain", stdin=stdin)
    assert done.returncode == 0
    out = done.stdout
    assert "Outcome: not_medically_necessary (decided by D.I)" in out
    assert "[not met] D.I.C: Eckardt symptom score is greater than or equal to 3." in out
    assert "facts: eckardt_score = 2" in out


def test_eval_explain_lists_the_information_needed() -> None:
    stdin = json.dumps(request_with(age=None)) + "\n"
    out = run("eval", "MP-MM-1308", "--input", "-", "--explain", stdin=stdin).stdout
    assert "Outcome: insufficient_information (decided by D.II)" in out
    assert "  - age: Member age in whole years on the date of service. (read by D.II)" in out


def test_check_reports_errors_in_every_file(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "cases" / "bad"
    done = run("check", str(bad / "undefined_fact.policy"), str(bad / "never_true.policy"))
    assert done.returncode == 1
    assert "undefined_fact.policy:12:43: error[E201]: 'agee' is not declared" in done.stderr
    assert "never_true.policy:12:43: error[E204]" in done.stderr
    assert "Traceback" not in done.stderr


def build_into(tmp_path: Path, *args: str) -> int:
    return main(["build", *args, "--out", str(tmp_path / "out"), "--docs", str(tmp_path / "docs")])


def test_build_writes_then_check_detects_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build_into(tmp_path, str(POLICY_SOURCE)) == 0
    for generated in (
        "out/python/mp_mm_1308.py",
        "out/schema/MP-MM-1308.request.schema.json",
        "docs/policies/MP-MM-1308.md",
    ):
        committed = ROOT / generated.replace("out/", "generated/")
        assert (tmp_path / generated).read_text() == committed.read_text(), generated
    assert build_into(tmp_path, str(POLICY_SOURCE), "--check") == 0
    module = tmp_path / "out" / "python" / "mp_mm_1308.py"
    module.write_text(module.read_text() + "# edited by hand\n")
    assert build_into(tmp_path, str(POLICY_SOURCE), "--check") == 1
    assert "mp_mm_1308.py: differs from what the sources compile to" in capsys.readouterr().err
    assert build_into(tmp_path, str(POLICY_SOURCE)) == 0
    assert build_into(tmp_path, str(POLICY_SOURCE), "--check") == 0


def test_build_with_an_error_writes_nothing(tmp_path: Path) -> None:
    sources = tmp_path / "policies"
    sources.mkdir()
    (sources / "a.policy").write_text(POLICY_SOURCE.read_text())
    (sources / "b.policy").write_text((ROOT / "tests" / "cases" / "bad" / "never_true.policy").read_text())
    assert build_into(tmp_path, str(sources)) == 1
    assert not (tmp_path / "out").exists() and not (tmp_path / "docs").exists()


def test_build_removes_output_no_source_generates(tmp_path: Path) -> None:
    (tmp_path / "out" / "python").mkdir(parents=True)
    out = tmp_path / "out"
    stale = out / "python" / "old_policy.py"
    stale.write_text("# Generated by policyc 0.0.1 from 'old.policy'; do not edit.\n")
    kept = out / "python" / "hand_written.py"
    kept.write_text("# not ours\n")
    assert build_into(tmp_path, str(POLICY_SOURCE), "--check") == 1
    assert build_into(tmp_path, str(POLICY_SOURCE)) == 0
    assert not stale.exists() and kept.exists()


def test_policyc_runs_from_any_directory(tmp_path: Path) -> None:
    done = run("check", str(POLICY_SOURCE), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    env_done = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "check", str(POLICY_SOURCE)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ},
    )
    assert env_done.returncode == 0


def test_eval_keeps_order_across_the_chunks_it_writes() -> None:
    """Records go out 256 at a time: order and every line must survive the chunking."""
    lines = []
    for i in range(700):
        lines.append("{broken" if i % 97 == 0 else json.dumps(request_with(age=10 + i % 50)))
    done = run("eval", str(POLICY_SOURCE), "--input", "-", stdin="\n".join(lines) + "\n")
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 700
    for number, record in enumerate(records, start=1):
        if (number - 1) % 97 == 0:
            assert record["line"] == number and record["error"] == "malformed_json"
        else:
            assert record["outcome"] == ("needs_review" if 10 + (number - 1) % 50 <= 18 else "medically_necessary")


def test_every_pre_commit_hook_runs_and_passes_on_the_policies() -> None:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"] for hook in hooks} == {"policyc-check", "policyc-fmt", "policyc-build-check", "policyc-test"}
    for hook in hooks:
        command, *args = hook["entry"].split()
        assert command == "policyc" and hook["language"] == "python"
        if hook.get("pass_filenames", True):  # pre-commit appends the staged files that match
            args.append(str(POLICY_SOURCE.relative_to(ROOT)))
        done = run(*args)
        assert done.returncode == 0, (hook["id"], done.stdout, done.stderr)


# -- Batches: one record per line, always (red-team F4, F14, F15) -----------------------------------


def test_a_failing_line_costs_its_own_record_not_the_batch() -> None:
    import io
    import types

    from compiler.cli import _decide_lines

    class Rejected(Exception):
        pass

    def evaluate(request: dict[str, int]) -> object:
        if request["n"] == 150:
            raise OverflowError("date value out of range")
        return types.SimpleNamespace(to_json=lambda: json.dumps(request))

    evaluator = types.SimpleNamespace(evaluate=evaluate, InvalidRequest=Rejected)
    out = io.StringIO()
    lines = [json.dumps({"n": n}) + "\n" for n in range(300)]
    assert _decide_lines(evaluator, lines, out, False, None) == 1  # type: ignore[arg-type]
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == 300
    failed = {"line": 151, "error": "evaluation_failed", "message": "OverflowError: date value out of range"}
    assert records[150] == failed
    assert records[299] == {"n": 299}


def test_every_non_blank_line_gets_a_record_whatever_its_line_ends() -> None:
    good = json.dumps(APPROVABLE)
    text = "\ufeff" + good + "\n\x0c\n\x1c\n\u2028\n\u00a0\n \t\r\n" + good + "\r" + good + "\r\n" + good + "\n"
    done = run("eval", "MP-MM-1308", "--input", "-", stdin=text)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    # the BOM is dropped; four blank-looking lines are malformed; a lone CR does not end a line
    assert [r.get("error", r.get("outcome")) for r in records] == [
        "medically_necessary", *["malformed_json"] * 5, "medically_necessary"
    ], done.stdout
    assert [r.get("line") for r in records[1:6]] == [2, 3, 4, 5, 7]
    assert done.returncode == 1


def test_a_file_and_standard_input_split_lines_alike(tmp_path: Path) -> None:
    path = tmp_path / "cr.jsonl"
    path.write_bytes(b'{"age": 45}\r{"age": 46}\n')
    by_file = run("eval", "MP-MM-1308", "--input", str(path))
    by_stdin = run("eval", "MP-MM-1308", "--input", "-", stdin=path.read_bytes().decode())
    assert by_file.stdout == by_stdin.stdout
    assert len(by_file.stdout.splitlines()) == 1


def test_a_repeated_key_or_nan_is_refused() -> None:
    done = run("eval", "MP-MM-1308", "--input", "-", stdin='{"age": 45, "age": 46}\n{"age": NaN}\n')
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records[0]["error"] == "malformed_json" and 'the key "age" is repeated' in records[0]["message"]
    assert records[1]["error"] == "malformed_json" and "NaN is not a JSON number" in records[1]["message"]


def test_eval_into_a_closed_pipe_a_full_disk_or_from_closed_stdin_has_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text((json.dumps(APPROVABLE) + "\n") * 20000)
    executable = str(Path(sys.executable).parent / "policyc")
    piped = subprocess.run(
        f"{executable} eval MP-MM-1308 --input {path} | head -1", shell=True, capture_output=True, text=True, cwd=ROOT
    )
    assert len(piped.stdout.splitlines()) == 1 and "Traceback" not in piped.stderr
    if Path("/dev/full").exists():
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [executable, "eval", "MP-MM-1308", "--input", str(path)], stdout=full, stderr=subprocess.PIPE, cwd=ROOT
            )
        assert done.returncode == 1 and b"Traceback" not in done.stderr and b"cannot write" in done.stderr
    closed = subprocess.run(
        f"{executable} eval MP-MM-1308 --input - <&-", shell=True, capture_output=True, text=True, cwd=ROOT
    )
    assert closed.returncode == 2 and "standard input is closed" in closed.stderr


# -- Files that are not what they seem (red-team F13, F14, F18) ----------------------------------------


MINI = """policy "X-1" { title: "T" effective: 2025-01-01 }
fact age: integer 0..130 "Age."
section D "Policy" { rule D.I "Adults." when age >= 18 }
outcome yes "Yes."
outcome no "No."
outcome unk "Unknown."
decide { yes when D.I otherwise no unknown unk }
"""


def test_links_that_loop_fifos_and_bad_bytes_are_diagnosed_not_a_traceback_or_a_hang(tmp_path: Path) -> None:
    (tmp_path / "loop.policy").symlink_to("loop.policy")
    os.mkfifo(tmp_path / "fifo.policy")
    (tmp_path / "ok.policy").write_text(MINI)
    (tmp_path / "ok.tests").write_bytes(b"\xff\xfe not UTF-8")
    checked = subprocess.run([*POLICYC, "check", str(tmp_path)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert "loop.policy:1:1: error[E000]: cannot read file" in checked.stderr
    assert "fifo.policy:1:1: error[E000]: not a regular file" in checked.stderr
    tested = subprocess.run(
        [*POLICYC, "test", str(tmp_path / "ok.policy")], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert tested.returncode == 1 and "ok.tests:1:1: error[E000]: file is not valid UTF-8" in tested.stderr


def test_a_test_title_cannot_drive_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "X-1.policy").write_text(MINI)
    (tmp_path / "X-1.tests").write_text(
        'request base { age: 40 }\ncase "x\\u000d\\u001b[2KX-1: 1 passed, 0 failed" from base expect no {\n}\n'
    )
    done = subprocess.run([*POLICYC, "test", str(tmp_path / "X-1.policy")], capture_output=True, text=True, cwd=ROOT)
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert 'FAIL "x??[2KX-1: 1 passed, 0 failed"' in done.stdout and done.returncode == 1


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path) -> None:
    """`policyc fmt --check | head -1`: no traceback when the pipe closes."""
    source = POLICY_SOURCE.read_text(encoding="utf-8")
    for i in range(40):  # diffs longer than a pipe holds
        (tmp_path / f"P{i}.policy").write_text(source.replace("\n\n", "\n"), encoding="utf-8")
    command = [*POLICYC, "fmt", "--check", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    error = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1 and "Traceback" not in error, error
