"""`policyc serve`: the policies as a prior-authorization service (FastAPI, run by uvicorn).

Bodies are read here rather than by FastAPI's models: numbers stay exact (`jsontext`), a body over
the limit is refused before it is read whole, and a bad request gets the evaluator's own error,
naming each field. Every decision carries the policy's source SHA-256 and the compiler's version,
and goes to the decision log (JSON Lines; the facts only with `log_facts`, as they are health
information).
"""

from __future__ import annotations

import datetime
import html
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from compiler import __version__, jsontext
from compiler.diagnostics import render_all
from compiler.fhir import questionnaire
from compiler.service import hooks
from compiler.service.registry import Served, load

MAX_BODY = 1024 * 1024  # bytes of one request: a chart of a few hundred resources
MAX_BATCH_BODY = 64 * 1024 * 1024  # bytes of a batch of JSON Lines


class Problem(Exception):
    """An error answered as JSON: {"error": code, "message": ..., and what else it names}."""

    def __init__(self, status: int, code: str, message: str, **more: Any) -> None:
        super().__init__(message)
        self.status, self.body = status, {"error": code, "message": message, **more}


class DecisionLog:
    """One JSON line per decision, appended; safe across threads, and across worker processes
    (each line is one write to a file opened for appending)."""

    def __init__(self, path: Path | None, facts: bool) -> None:
        self.path, self.facts = path, facts
        self.lock = threading.Lock()
        self.handle = None if path is None else open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, request_id: str, served: Served, decision: dict[str, Any], request: object) -> None:
        if self.handle is None:
            return
        record = {
            "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
            "request_id": request_id,
            "policy": served.policy_id,
            "revision": decision["effective_date"],
            "source_sha256": served.policy.source_sha256,
            "outcome": decision["outcome"],
            "section": decision["section"],
            "missing": decision["missing"],
        }
        if self.facts:
            record["facts"] = request
        line = jsontext.dumps(record) + "\n"
        with self.lock:
            self.handle.write(line)
            self.handle.flush()


def create_app(
    policies: Path,
    profile: str = "us-core",
    decision_log: Path | None = None,
    log_facts: bool = False,
    today: Callable[[], str] | None = None,
) -> FastAPI:
    """The service over every policy in `policies`; raises ValueError with the rendered diagnostics
    when a policy or bindings file has errors."""
    served, diagnostics, sources = load(policies, profile)
    if not served and diagnostics:
        raise ValueError(render_all(diagnostics, sources))
    log = DecisionLog(decision_log, log_facts)
    date = today or (lambda: datetime.date.today().isoformat())
    app = FastAPI(
        title="policyc",
        version=__version__,
        description="Medical policies compiled by policyc: decisions, CRD (CDS Hooks) and DTR questionnaires.",
        docs_url=None,  # Swagger UI loads from a CDN; /docs below is one page with nothing to fetch
        redoc_url=None,
    )

    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        return _json(exc.body, exc.status)

    def policy(policy_id: str) -> Served:
        found = served.get(policy_id)
        if found is None:
            raise Problem(404, "unknown_policy", f"no policy {policy_id!r}", policies=sorted(served))
        return found

    @app.get("/healthz", summary="Liveness: the policies loaded")
    async def healthz() -> Response:
        return _json({"status": "ok", "policies": len(served), "compiler": f"policyc {__version__}"})

    @app.get("/policies", summary="Every policy: id, title, revisions, source hashes")
    async def policies_list() -> Response:
        return _json({"policies": [one.summary() for one in served.values()]})

    @app.post(
        "/policies/{policy_id}/decide",
        summary="Decide one request (a JSON object of facts)",
        openapi_extra=_body_doc("application/json", "A request: the policy's facts (see /schema)"),
    )
    async def decide(policy_id: str, request: Request) -> Response:
        one = policy(policy_id)
        facts = _parse(await _body(request, MAX_BODY))
        try:
            decision = one.decide(facts)
        except one.evaluator.InvalidRequest as exc:
            raise Problem(
                422, "invalid_request", "the request breaks the policy's contract", errors=exc.to_dict()["errors"]
            ) from None
        request_id = _request_id(request)
        log.write(request_id, one, decision, facts)
        return _json(decision, headers={"X-Request-Id": request_id})

    @app.post(
        "/policies/{policy_id}/decide-batch",
        summary="Decide JSON Lines: one record per line, in order",
        openapi_extra=_body_doc("application/x-ndjson", "One request per line"),
    )
    async def decide_batch(policy_id: str, request: Request) -> Response:
        one = policy(policy_id)
        body = await _body(request, MAX_BATCH_BODY)
        request_id = _request_id(request)
        lines = _text(body).split("\n")
        # A large batch is decided in a worker thread, so single decisions are not held up behind it.
        records = await run_in_threadpool(_batch, one, lines, request_id, log)
        return Response(records, media_type="application/x-ndjson", headers={"X-Request-Id": request_id})

    @app.get("/policies/{policy_id}/schema", summary="The JSON Schema of the request (?decision: of the decision)")
    async def schema(policy_id: str, decision: bool = False) -> Response:
        from compiler.targets import schema as schemas

        one = policy(policy_id)
        made = schemas.decision_schema(one.policy) if decision else schemas.request_schema(one.policy)
        return _json(made)

    @app.get(
        "/policies/{policy_id}/questionnaire",
        summary="The DTR Questionnaire (SDC); with ?missing=a,b only those facts' items",
    )
    async def questionnaire_of(policy_id: str, request: Request, missing: str | None = None) -> Response:
        one = policy(policy_id)
        only = None if missing is None else tuple(name for name in missing.split(",") if name)
        if only is not None:
            unknown = [name for name in only if name not in {f.name for f in one.policy.facts}]
            if unknown:
                raise Problem(
                    422,
                    "invalid_request",
                    "not facts of the policy",
                    errors=[{"field": name, "message": "not a fact of the policy"} for name in unknown],
                )
        return _json(questionnaire.questionnaire(one.policy, one.bindings, _base(request), only))

    @app.get("/cds-services", summary="CDS Hooks discovery: order-sign and order-select per policy")
    async def discovery(request: Request) -> Response:
        return _json(hooks.discovery(served, _base(request)))

    @app.post(
        "/cds-services/{service_id}",
        summary="Call a CDS Hooks service (CRD)",
        openapi_extra=_body_doc("application/json", "A CDS Hooks request with prefetch"),
    )
    async def hook(service_id: str, request: Request) -> Response:
        found = hooks.find(served, service_id)
        if found is None:
            raise Problem(404, "unknown_service", f"no CDS service {service_id!r}")
        body = _parse(await _body(request, MAX_BODY))
        try:
            response, decisions = hooks.respond(found[0], found[1], body, _base(request), date())
        except hooks.BadHook as exc:
            raise Problem(400, "bad_hook_request", str(exc)) from None
        request_id = _request_id(request)
        for made in decisions:
            log.write(request_id, found[0], made["decision"], made["request"])
        return _json(response, headers={"X-Request-Id": request_id})

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_docs_page(app.openapi()))

    return app


def from_environment() -> FastAPI:
    """The app for uvicorn's workers (`policyc serve --workers N`), configured by the serve command."""
    log = os.environ.get("POLICYC_DECISION_LOG")
    return create_app(
        Path(os.environ.get("POLICYC_POLICIES", "policies")),
        os.environ.get("POLICYC_PROFILE", "us-core"),
        Path(log) if log else None,
        os.environ.get("POLICYC_LOG_FACTS") == "1",
    )


def _batch(one: Served, lines: list[str], request_id: str, log: DecisionLog) -> str:
    """One record per line that is not blank, in order: a decision, or the error of that line."""
    records = [
        jsontext.dumps(_batch_record(one, number, line, request_id, log)) + "\n"
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]
    return "".join(records)


def _batch_record(one: Served, number: int, line: str, request_id: str, log: DecisionLog) -> dict[str, Any]:
    try:
        facts = jsontext.decode(line)
    except ValueError as exc:
        return {"line": number, "error": "malformed_json", "message": str(exc)}
    try:
        decision = one.decide(facts)
    except one.evaluator.InvalidRequest as exc:
        return {"line": number, **exc.to_dict()}
    log.write(f"{request_id}:{number}", one, decision, facts)
    return {"line": number, **decision}


async def _body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise Problem(413, "too_large", f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "too_large", f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise Problem(400, "malformed_json", f"the body is not UTF-8 (byte {exc.start})") from None


def _parse(body: bytes) -> Any:
    try:
        return jsontext.decode(_text(body))
    except ValueError as exc:
        raise Problem(400, "malformed_json", str(exc)) from None


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(jsontext.dumps(value), status, headers, media_type="application/json")


def _request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given if 0 < len(given) <= 128 and given.isprintable() else uuid.uuid4().hex


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _body_doc(media: str, description: str) -> dict[str, Any]:
    schema = {"type": "object" if media.endswith("/json") else "string"}
    return {"requestBody": {"required": True, "description": description, "content": {media: {"schema": schema}}}}


def _docs_page(spec: dict[str, Any]) -> str:
    """The OpenAPI document as one HTML page: no script, no stylesheet from elsewhere."""
    rows = []
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            parameters = ", ".join(p["name"] for p in operation.get("parameters", []))
            rows.append(
                f"<tr><td><code>{html.escape(method.upper())}</code></td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(operation.get('summary', ''))}</td><td>{html.escape(parameters)}</td></tr>"
            )
    title = html.escape(f"{spec['info']['title']} {spec['info']['version']}")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>' + title + "</title>"
        "<style>body{font-family:sans-serif;margin:2em}td{padding:.3em .8em;border-bottom:1px solid #ddd}</style>"
        "</head><body><h1>" + title + "</h1><p>" + html.escape(spec["info"].get("description", "")) + "</p>"
        '<p>The OpenAPI document: <a href="openapi.json">openapi.json</a>.</p>'
        "<table><tr><th>Method</th><th>Path</th><th>What</th><th>Parameters</th></tr>"
        + "".join(rows)
        + "</table></body></html>\n"
    )


__all__ = ["MAX_BODY", "Problem", "create_app", "from_environment"]
