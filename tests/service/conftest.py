"""`policyc serve`'s app, run by uvicorn on a loopback port for the tests to talk to over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from compiler.service.app import create_app

ROOT = Path(__file__).resolve().parents[2]


class Running:
    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    log = tmp_path_factory.mktemp("service") / "decisions.jsonl"
    app = create_app(ROOT / "policies", decision_log=log, today=lambda: "2026-01-02")
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = running.servers[0].sockets[0].getsockname()[1]
    yield Running(f"http://127.0.0.1:{port}", log)
    running.should_exit = True
    thread.join(timeout=10)
