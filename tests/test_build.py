"""Builds: reproducible byte for byte, and atomic: a failed or killed build leaves the output as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

import pytest

from compiler import build as build_module
from compiler import targets
from compiler.build import build
from tests.conftest import POLICY_SOURCE, ROOT

POLICYC = [sys.executable, "-m", "compiler.cli"]


def snapshot(*directories: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory.parent)): path.read_bytes()
        for directory in directories
        if directory.exists()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = []
    for entry in os.listdir("/proc"):  # not Path.glob: a process that ends meanwhile makes it raise
        if not entry.isdigit():
            continue
        try:
            fields = Path("/proc", entry, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile (ProcessLookupError is one)
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def assert_ended(pids: list[int], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]
    assert not alive, f"worker processes {alive} outlived their killed build"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def committed() -> dict[str, bytes]:
    files = snapshot(ROOT / "generated")
    files.update({k.replace("docs/", "docs/", 1): v for k, v in snapshot(ROOT / "docs" / "policies").items()})
    return files


def test_builds_are_identical_across_hash_seeds_and_directories(tmp_path: Path) -> None:
    outputs = []
    for seed, cwd in (("0", ROOT), ("12345", tmp_path), ("random", tmp_path)):
        out, docs = tmp_path / f"out-{seed}" / "generated", tmp_path / f"out-{seed}" / "docs"
        subprocess.run(
            [*POLICYC, "build", str(ROOT / "policies"), "--out", str(out), "--docs", str(docs)],
            cwd=cwd,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
            check=True,
            capture_output=True,
        )
        outputs.append({**snapshot(out), **snapshot(docs / "policies")})
    assert outputs[0] == outputs[1] == outputs[2]
    expected = {**snapshot(ROOT / "generated"), **snapshot(ROOT / "docs" / "policies")}
    assert outputs[0] == expected


def roots(tmp_path: Path) -> dict[str, Path]:
    return {"out": tmp_path / "generated", "docs": tmp_path / "docs"}


def test_an_exception_in_a_target_leaves_the_output_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build([POLICY_SOURCE], roots(tmp_path))
    before = snapshot(tmp_path / "generated", tmp_path / "docs")
    changed = POLICY_SOURCE.read_text().replace('"Eckardt symptom score."', '"The Eckardt symptom score."')
    source = tmp_path / "MP-MM-1308.policy"
    source.write_text(changed)

    def broken(policy: object, built: object) -> dict[PurePosixPath, str]:
        raise RuntimeError("a target failed")

    monkeypatch.setitem(targets.TARGETS, "zz-broken", targets.Target(broken, "out"))
    with pytest.raises(RuntimeError):
        build([source], roots(tmp_path))
    assert snapshot(tmp_path / "generated", tmp_path / "docs") == before


def test_a_failure_during_the_swap_puts_every_directory_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build([POLICY_SOURCE], roots(tmp_path))
    before = snapshot(tmp_path / "generated", tmp_path / "docs")
    source = tmp_path / "MP-MM-1308.policy"
    source.write_text(POLICY_SOURCE.read_text().replace('"Eckardt symptom score."', '"Eckardt score."'))
    real_rename = Path.rename
    calls = {"n": 0}

    def failing_rename(self: Path, target: Path) -> Path:
        calls["n"] += 1
        if calls["n"] == 5:  # after two directories were swapped, in the middle of the third
            raise OSError("disk full")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(OSError):
        build([source], roots(tmp_path))
    monkeypatch.setattr(Path, "rename", real_rename)
    assert snapshot(tmp_path / "generated", tmp_path / "docs") == before
    assert not [p for p in (tmp_path / "generated").iterdir() if p.name.startswith(".policyc")]


def test_a_killed_build_leaves_old_or_new_directories_and_the_next_build_recovers(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    text = POLICY_SOURCE.read_text()
    for i in range(40):  # enough work that a kill lands mid-build
        (policies / f"P{i}.policy").write_text(text.replace('"MP-MM-1308"', f'"P-{i}"'))
    args = [*POLICYC, "build", str(policies), "--out", str(tmp_path / "generated"), "--docs", str(tmp_path / "docs")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    duration = time.perf_counter() - start
    old = snapshot(tmp_path / "generated")
    for path in policies.iterdir():
        path.write_text(path.read_text().replace('"Eckardt symptom score."', '"Eckardt score (0 to 12)."'))
    killed_mid_build = 0
    for share in (0.2, 0.35, 0.5, 0.65, 0.8, 0.9):  # kill at points spread over a whole build
        delay = duration * share
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        killed_mid_build += process.poll() is None
        workers = children(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert_ended(workers)  # no worker is left blocked for ever behind its killed parent
        for directory in ("python", "schema", "models"):
            live = tmp_path / "generated" / directory
            if live.exists():  # never half a directory: every file is all old or all new
                files = {k: v for k, v in snapshot(live).items()}
                olds = {k: v for k, v in old.items() if k.startswith(f"{directory}/")}
                assert files == olds or all(olds.get(k) != v for k, v in files.items() if k.endswith(".py"))
            else:
                assert (tmp_path / "generated" / f".policyc-old-{directory}").exists()
        build_module._recover(tmp_path / "generated")
        for directory in ("python", "schema", "models"):
            assert (tmp_path / "generated" / directory).is_dir()
    assert killed_mid_build >= 3
    subprocess.run(args, env=env, check=True, capture_output=True)
    assert subprocess.run([*args, "--check"], env=env, capture_output=True).returncode == 0


def test_parallel_builds_write_the_same_files_as_serial_ones(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = POLICY_SOURCE.read_text(encoding="utf-8")
    for i in range(5):
        (corpus / f"P-{i}.policy").write_text(text.replace('"MP-MM-1308"', f'"P-{i}"'), encoding="utf-8")
    outputs = []
    for jobs in ("1", "3"):
        out, docs = tmp_path / f"jobs-{jobs}" / "generated", tmp_path / f"jobs-{jobs}" / "docs"
        done = subprocess.run(
            [*POLICYC, "build", str(corpus), "--out", str(out), "--docs", str(docs), "--jobs", jobs],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert "built 5 policies" in done.stdout
        outputs.append({**snapshot(out), **snapshot(docs)})
    assert outputs[0] == outputs[1]
    assert len([name for name in outputs[0] if name.startswith("generated/python/")]) == 5


def test_parallel_builds_report_every_error(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"bad-{i}.policy").write_text(f'policy "B-{i}" {{\n    title: oops\n}}\n', encoding="utf-8")
    done = subprocess.run(
        [*POLICYC, "build", str(corpus), "--out", str(tmp_path / "out"), "--jobs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert all(f"bad-{i}.policy:2:" in done.stderr for i in range(3)), done.stderr


def test_concurrent_builds_into_the_same_directories_take_turns(tmp_path: Path) -> None:
    """Red-team F5: a second build used to delete the first one's staging directory, with exit 0."""
    policies = tmp_path / "policies"
    policies.mkdir()
    text = POLICY_SOURCE.read_text()
    for i in range(30):
        (policies / f"P{i}.policy").write_text(text.replace('"MP-MM-1308"', f'"P-{i}"'))
    args = [*POLICYC, "build", str(policies), "--out", str(tmp_path / "generated"), "--docs", str(tmp_path / "docs")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for attempt in range(3):
        for path in policies.iterdir():
            path.write_text(text.replace('"MP-MM-1308"', f'"{path.stem.replace("P", "P-")}"') + f"# run {attempt}\n")
        first = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.2 * attempt)
        second = subprocess.run(args, env=env, capture_output=True)
        assert first.wait() == 0 and second.returncode == 0, (first.stderr and first.stderr.read(), second.stderr)
        assert len(list((tmp_path / "docs" / "policies").glob("P-*.md"))) == 30
        assert subprocess.run([*args, "--check"], env=env, capture_output=True).returncode == 0


def test_leftovers_and_odd_output_paths_give_a_message_or_a_clean_build(tmp_path: Path) -> None:
    out, docs = tmp_path / "generated", tmp_path / "docs"
    roots = {"out": out, "docs": docs}
    out.mkdir()
    (out / "python").write_text("not a directory")  # F9: this used to leave a file every later build tripped on
    build([POLICY_SOURCE], roots)
    assert (out / "python").is_dir() and not list(out.glob(".policyc-*"))
    (out / ".policyc-old-schema").write_text("a stray file")
    build([POLICY_SOURCE], roots)
    assert not list(out.glob(".policyc-*"))
    module = out / "python" / "mp_mm_1308.py"
    module.write_bytes(module.read_bytes() + b"\xff")  # not UTF-8: differs, and is rewritten
    assert build([POLICY_SOURCE], roots, check=True).changed
    build([POLICY_SOURCE], roots)
    assert build([POLICY_SOURCE], roots, check=True).changed == []
    module.unlink()
    module.mkdir()  # a directory where a generated file goes
    cli = subprocess.run(
        [*POLICYC, "build", str(POLICY_SOURCE), "--out", str(out), "--docs", str(docs)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
    )  # fmt: skip
    assert cli.returncode == 1 and "Traceback" not in cli.stderr and "cannot write" in cli.stderr


NCD_100_1 = ROOT / "policies" / "CMS-NCD-100.1.policy"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (("height_m", "row_id"), "a fact is named row_id, the request table's key"),
        (
            (
                'outcome covered "Covered."',
                'outcome covered "Covered."\n    carries {\n        body_mass = bmi "The body mass index."\n    }',
            ),
            "term body_mass is a quotient of decimals, which SQL cannot write exactly",
        ),
    ],
    ids=["row_id", "decimal-quotient-term"],
)
def test_a_policy_the_sql_target_cannot_write_builds_every_other_target_with_a_warning(
    change: tuple[str, str], reason: str, tmp_path: Path
) -> None:
    source = tmp_path / "policies" / "P-1.policy"
    source.parent.mkdir()
    text = NCD_100_1.read_text(encoding="utf-8").replace('"CMS-NCD-100.1"', '"P-1"')
    source.write_text(text.replace(*change), encoding="utf-8")
    out, docs = tmp_path / "generated", tmp_path / "docs"
    done = subprocess.run(
        [*POLICYC, "build", str(source), "--out", str(out), "--docs", str(docs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert f"warning[W801]: the sql target cannot write this policy exactly ({reason})" in done.stderr
    assert (out / "python" / "p_1.py").is_file()
    assert not (out / "sql").exists()

    requests = tmp_path / "requests.jsonl"
    requests.write_text('{"procedure_code": "43644"}\n', encoding="utf-8")
    ran = subprocess.run(
        [*POLICYC, "batch", str(source), "--input", str(requests), "--output", str(tmp_path / "out.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 1
    assert ran.stderr == f"policyc batch: the SQL target cannot decide P-1 exactly: {reason}\n"
    assert not (tmp_path / "out.jsonl").exists()
