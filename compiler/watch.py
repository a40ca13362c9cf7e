"""`--watch`: run a command again each time a policy, test or bindings file it reads is saved."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

WATCHED = ("*.policy", "*.tests", "*.bindings")


def snapshot(paths: list[Path]) -> dict[Path, int]:
    """Each watched file and its modification time (nanoseconds): a change is any difference."""
    found: dict[Path, int] = {}
    for path in paths:
        files = [f for pattern in WATCHED for f in path.rglob(pattern)] if path.is_dir() else [path]
        for file in files:
            try:
                found[file] = file.stat().st_mtime_ns
            except OSError:  # removed between listing and reading: it is simply gone
                continue
    return found


def watch(run: Callable[[], int], paths: list[Path], interval: float = 0.3, rounds: int | None = None) -> int:
    """Run, then run again after each change, until interrupted (or after `rounds` runs, for tests).
    Returns the last run's exit code."""
    code, runs = run(), 1
    seen = snapshot(paths)
    try:
        while rounds is None or runs < rounds:
            time.sleep(interval)
            now = snapshot(paths)
            if now != seen:
                seen = now
                print(f"\n-- {time.strftime('%H:%M:%S')}: changed; running again", file=sys.stderr)
                code, runs = run(), runs + 1
    except KeyboardInterrupt:
        pass
    return code
