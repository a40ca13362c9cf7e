"""`--watch`: a saved policy runs the command again."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from compiler.watch import snapshot, watch


def test_a_saved_file_runs_the_command_again(tmp_path: Path) -> None:
    policy = tmp_path / "a.policy"
    policy.write_text("one")
    (tmp_path / "notes.txt").write_text("not watched")
    runs: list[str] = []

    def run() -> int:
        runs.append(policy.read_text())
        return len(runs) - 1

    def save() -> None:
        time.sleep(0.3)
        (tmp_path / "notes.txt").write_text("still not watched")  # no run for this one
        time.sleep(0.3)
        policy.write_text("two")
        stat = policy.stat()
        os.utime(policy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a clock too coarse to see it

    saver = threading.Thread(target=save)
    saver.start()
    assert watch(run, [tmp_path], interval=0.05, rounds=2) == 1
    saver.join()
    assert runs == ["one", "two"]


def test_a_snapshot_sees_policies_tests_and_bindings_only(tmp_path: Path) -> None:
    for name in ("a.policy", "a.tests", "a.us-core.bindings", "a.md"):
        (tmp_path / name).write_text("x")
    assert sorted(p.name for p in snapshot([tmp_path])) == ["a.policy", "a.tests", "a.us-core.bindings"]
