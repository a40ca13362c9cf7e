"""The service under load: N decisions from C concurrent clients over loopback HTTP.

    python -m benchmarks.service [--decisions 20000] [--clients 16]

uvicorn runs `policyc serve`'s app in this process's background thread (one worker, as on one
core); each client is a thread with its own keep-alive connection. The baseline, measured in the
same run, is the same requests decided by the evaluator in-process: the ratio is the cost of HTTP,
JSON and the server. Every reply is checked: no error, and each request id answered exactly once.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn

from compiler.service.app import create_app

ROOT = Path(__file__).resolve().parents[1]
REQUEST = {
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
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.service")
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args(argv)
    app = create_app(ROOT / "policies")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/policies/MP-MM-1308/decide"

    local = threading.local()
    latencies: list[float] = []
    answered: list[str] = []

    def decide(number: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client()
        start = time.perf_counter()
        reply = client.post(url, json={**REQUEST, "age": 19 + number % 100}, headers={"X-Request-Id": f"r{number}"})
        latencies.append(time.perf_counter() - start)
        if reply.status_code != 200 or reply.json()["outcome"] != "medically_necessary":
            raise RuntimeError(f"request {number}: {reply.status_code} {reply.text[:200]}")
        answered.append(reply.headers["x-request-id"])

    start = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(decide, range(args.decisions)))
    elapsed = time.perf_counter() - start
    server.should_exit = True
    thread.join(timeout=10)

    lost = args.decisions - len(set(answered))
    duplicated = len(answered) - len(set(answered))
    from compiler import load
    from compiler.targets import python

    evaluator = python.load_module(load(ROOT / "policies" / "MP-MM-1308.policy"))
    base_start = time.perf_counter()
    for number in range(args.decisions):
        evaluator.evaluate({**REQUEST, "age": 19 + number % 100}).to_dict()
    baseline = time.perf_counter() - base_start

    cuts = statistics.quantiles(latencies, n=100)
    print(f"decisions: {args.decisions} from {args.clients} clients; errors 0, lost {lost}, duplicated {duplicated}")
    print(f"throughput: {args.decisions / elapsed:,.0f} decisions/s over HTTP")
    print(f"latency: p50 {cuts[49] * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms")
    print(f"in-process baseline: {args.decisions / baseline:,.0f} decisions/s; HTTP costs {elapsed / baseline:.0f}x")
    return 1 if lost or duplicated else 0


if __name__ == "__main__":
    raise SystemExit(main())
