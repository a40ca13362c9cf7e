"""`policyc serve` as an operator runs it: a subprocess with uvicorn workers, its decision log, and
a refusal to start on a broken bindings file."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from compiler.cli import main
from compiler.service.app import create_app
from tests.service.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _broken(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "policies" / "MP-MM-1308.policy", tmp_path)
    text = (ROOT / "policies" / "MP-MM-1308.us-core.bindings").read_text(encoding="utf-8")
    (tmp_path / "MP-MM-1308.us-core.bindings").write_text(text.replace("patient.state", "patient.stat"))
    return tmp_path


def test_serve_with_two_workers_logs_decisions_with_facts_when_asked(tmp_path: Path) -> None:
    port, log = _free_port(), tmp_path / "decisions.jsonl"
    command = [
        sys.executable,
        "-m",
        "compiler.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
        "--policies",
        str(ROOT / "policies"),
        "--decision-log",
        str(log),
        "--log-facts",
    ]
    server = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[1].decode()
                assert time.monotonic() < deadline, "policyc serve did not start"
                time.sleep(0.2)
        for age in (12, 45):
            reply = httpx.post(f"http://127.0.0.1:{port}/policies/MP-MM-1308/decide", json={"age": age})
            assert reply.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["facts"] for r in records] == [{"age": 12}, {"age": 45}]
    assert {r["outcome"] for r in records} == {"insufficient_information"}


def test_a_broken_bindings_file_stops_the_service_before_it_listens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policies = _broken(tmp_path)
    with pytest.raises(ValueError, match=r"E1005.*patient has no element 'stat'"):
        create_app(policies)
    assert main(["serve", "--policies", str(policies), "--port", str(_free_port())]) == 1
    assert "error[E1005]" in capsys.readouterr().err


def test_check_reports_the_bindings_with_the_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(_broken(tmp_path))]) == 1
    err = capsys.readouterr().err
    assert "MP-MM-1308.us-core.bindings:6:20: error[E1005]: the patient has no element 'stat'" in err
    assert "    6 |     state: patient.stat" in err
