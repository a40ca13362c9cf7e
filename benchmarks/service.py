"""The service under load, and the FHIR extractor against a FHIRPath engine.

    python -m benchmarks.service [--decisions 20000] [--clients 16] [--workers 1]

`policyc serve` runs as its own process on a loopback port, as an operator runs it. C client
threads here, each with a keep-alive connection, send N MP-MM-1308 decisions. Every reply is
checked: no error, and each request id is answered exactly once. The baseline, measured in the
same run, is the same requests decided in-process by the generated evaluator, so the ratio is
the cost of HTTP, JSON and the server.

The second figure reads the POEM test chart into a request with the compiled extractor, and
selects the same facts with fhirpathpy evaluating the bindings' FHIRPath: the cost a general
engine would add to every hook.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from benchmarks.run import APPROVABLE as REQUEST  # meets every criterion of D.I
from compiler import jsontext, load
from compiler.fhir import bindings, fhirpath
from compiler.fhir.extract import Chart, extractor
from compiler.targets import python

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "tests" / "fhir" / "fixtures"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.service")
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    failed = load_test(args.decisions, args.clients, args.workers)
    extraction(max(args.decisions // 20, 50))
    return 1 if failed else 0


def load_test(decisions: int, clients: int, workers: int) -> bool:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "compiler.cli", "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen([*command, "--policies", str(ROOT / "policies")], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/policies/MP-MM-1308/decide"
    try:
        _wait(f"http://127.0.0.1:{port}/healthz", server)
        local = threading.local()
        latencies: list[float] = []
        answered: list[str] = []
        errors: list[str] = []

        def decide(number: int) -> None:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client()
            start = time.perf_counter()
            reply = client.post(url, json={**REQUEST, "age": 19 + number % 100}, headers={"X-Request-Id": f"r{number}"})
            latencies.append(time.perf_counter() - start)
            if reply.status_code != 200 or reply.json()["outcome"] != "medically_necessary":
                errors.append(f"request {number}: {reply.status_code} {reply.text[:200]}")
            answered.append(reply.headers.get("x-request-id", ""))

        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(decide, range(decisions)))
        elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    lost = decisions - len(set(answered) & {f"r{n}" for n in range(decisions)})
    duplicated = len(answered) - len(set(answered))

    evaluator = python.load_module(load(ROOT / "policies" / "MP-MM-1308.policy"))
    start = time.perf_counter()
    for number in range(decisions):
        evaluator.evaluate({**REQUEST, "age": 19 + number % 100}).to_dict()
    baseline = time.perf_counter() - start

    cuts = statistics.quantiles(latencies, n=100)
    print(f"decisions: {decisions} from {clients} clients, {workers} worker(s)")
    print(f"errors {len(errors)}, lost {lost}, duplicated {duplicated}")
    print(f"throughput: {decisions / elapsed:,.0f} decisions/s over HTTP")
    print(f"latency: p50 {cuts[49] * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms")
    print(f"in-process baseline: {decisions / baseline:,.0f} decisions/s; HTTP / in-process {elapsed / baseline:.0f}x")
    for error in errors[:5]:
        print(error)
    return bool(errors or lost or duplicated)


def _wait(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("policyc serve did not start") from None
            time.sleep(0.1)


def extraction(rounds: int) -> None:
    from fhirpathpy import compile as compile_path
    from fhirpathpy.models import models

    policy = load(ROOT / "policies" / "MP-MM-1308.policy")
    made, _, _ = bindings.load(ROOT / "policies" / "MP-MM-1308.us-core.bindings", policy)
    assert made is not None
    bundle: Any = jsontext.decode((CHART / "poem-chart.json").read_text(encoding="utf-8"))
    order: Any = jsontext.decode((CHART / "poem-order.json").read_text(encoding="utf-8"))
    read = extractor(made, policy)
    paths = [path for b in made.bindings for path in fhirpath.expressions(b).values()]

    start = time.perf_counter()
    for _ in range(rounds):
        read(Chart.from_bundle(bundle, order))
    compiled = (time.perf_counter() - start) / rounds
    compiled_paths = [compile_path(path, models["r4"]) for path in paths]  # parsed once, as a service would
    start = time.perf_counter()
    for _ in range(rounds):
        for path in compiled_paths:
            path(bundle, {"order": order})
    general = (time.perf_counter() - start) / rounds
    print(
        f"extraction of the POEM chart: compiled {compiled * 1e6:.0f} µs, "
        f"fhirpathpy {general * 1e6:,.0f} µs ({len(paths)} paths); {general / compiled:.0f}x"
    )


if __name__ == "__main__":
    raise SystemExit(main())
