"""The service over HTTP on loopback: its endpoints, its errors, the CDS Hooks goldens, and the
clinician-system simulator that orders POEM, answers the questionnaire and gets a decision."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from compiler import jsontext, load, testing
from compiler.fhir import crd
from tests.conftest import APPROVABLE as EXAMPLE  # meets every criterion of D.I
from tests.fhir.conftest import bound, fixture, resources
from tests.fhir.test_bindings import SHIPPED
from tests.fhir.test_questionnaire import response_for
from tests.service.conftest import ROOT, Running

GOLDEN = Path(__file__).resolve().parent / "golden"


def test_health_and_the_policies_with_their_source_hashes(server: Running) -> None:
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    listed = {p["id"]: p for p in httpx.get(f"{server.url}/policies").json()["policies"]}
    assert sorted(listed) == SHIPPED
    for policy_id, entry in listed.items():
        text = (ROOT / "policies" / f"{policy_id}.policy").read_bytes()
        assert entry["source_sha256"] == hashlib.sha256(text).hexdigest()
        assert entry["bindings"]["profile"] == "us-core"


def test_a_decision_carries_what_an_appeal_needs(server: Running) -> None:
    reply = httpx.post(f"{server.url}/policies/MP-MM-1308/decide", json=EXAMPLE, headers={"X-Request-Id": "r-1"})
    assert reply.status_code == 200 and reply.headers["x-request-id"] == "r-1"
    decision = reply.json()
    assert (decision["outcome"], decision["section"]) == ("medically_necessary", "D.I")
    assert decision["source_sha256"] == load(ROOT / "policies" / "MP-MM-1308.policy").source_sha256
    assert decision["compiler"].startswith("policyc ")
    logged = [json.loads(line) for line in server.log.read_text().splitlines()]
    mine = next(r for r in logged if r["request_id"] == "r-1")
    assert mine["outcome"] == "medically_necessary" and "facts" not in mine  # health information stays out


def test_exact_decimals_reach_the_evaluator(server: Running) -> None:
    body = '{"procedure_code": "43644", "weight_kg": 107.2, "height_m": 1.75, "comorbidities": []}'
    reply = httpx.post(f"{server.url}/policies/CMS-NCD-100.1/decide", content=body)
    assert reply.status_code == 200
    assert '"bmi": "107.2 / 1.75' not in reply.text  # the terms print exact values, never a float's digits


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("/policies/MP-MM-1308/decide", b'{"age": ', 400, "malformed_json"),
        ("/policies/MP-MM-1308/decide", b"\xff\xfe", 400, "malformed_json"),
        ("/policies/MP-MM-1308/decide", b"[" * 100_000 + b"]" * 100_000, 400, "malformed_json"),
        ("/policies/NOPE/decide", b"{}", 404, "unknown_policy"),
        ("/cds-services/nope-order-sign", b"{}", 404, "unknown_service"),
        ("/cds-services/mp-mm-1308-order-sign", b'{"hook": "order-select"}', 400, "bad_hook_request"),
        (
            "/cds-services/mp-mm-1308-order-sign",
            b'{"hook": "order-sign", "context": {"draftOrders": {}}}',
            400,
            "bad_hook_request",
        ),
    ],
)
def test_bad_requests_get_a_clear_error(server: Running, path: str, body: bytes, status: int, error: str) -> None:
    reply = httpx.post(f"{server.url}{path}", content=body)
    assert reply.status_code == status and reply.json()["error"] == error


def test_an_invalid_request_names_each_field(server: Running) -> None:
    reply = httpx.post(f"{server.url}/policies/MP-MM-1308/decide", json={"age": 300, "diagnosis": "flu", "x": 1})
    assert reply.status_code == 422
    assert [e["field"] for e in reply.json()["errors"]] == ["age", "diagnosis", "x"]


def test_an_oversized_body_is_refused_before_it_is_read(server: Running) -> None:
    reply = httpx.post(f"{server.url}/policies/MP-MM-1308/decide", content=b" " * (1024 * 1024 + 1))
    assert reply.status_code == 413 and reply.json()["error"] == "too_large"


def test_a_batch_gives_one_record_per_line_in_order(server: Running) -> None:
    lines = [json.dumps(EXAMPLE), "{not json", json.dumps({"age": -1}), "", json.dumps({**EXAMPLE, "age": 12})]
    reply = httpx.post(f"{server.url}/policies/MP-MM-1308/decide-batch", content="\n".join(lines))
    records = [json.loads(line) for line in reply.text.splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3, 5]
    assert [r.get("outcome", r.get("error")) for r in records] == [
        "medically_necessary",
        "malformed_json",
        "invalid_request",
        "needs_review",
    ]


def test_schema_questionnaire_discovery_and_offline_docs(server: Running) -> None:
    schema = httpx.get(f"{server.url}/policies/MP-MM-1308/schema").json()
    assert "eckardt_score" in schema["properties"]
    asked = httpx.get(f"{server.url}/policies/MP-MM-1308/questionnaire?missing=eckardt_score,age").json()
    assert [i["linkId"] for i in asked["item"]] == ["age", "eckardt_score"]
    assert httpx.get(f"{server.url}/policies/MP-MM-1308/questionnaire?missing=bogus").status_code == 422
    services = httpx.get(f"{server.url}/cds-services").json()["services"]
    assert len(services) == 2 * len(SHIPPED)
    poem = next(s for s in services if s["id"] == "mp-mm-1308-order-sign")
    assert poem["hook"] == "order-sign"
    assert set(poem["prefetch"]) == {"patient", "coverage", "conditions", "procedures", "answers"}
    page = httpx.get(f"{server.url}/docs").text
    assert "/cds-services/{service_id}" in page and "<script" not in page and "https://" not in page
    assert "/policies/{policy_id}/decide" in httpx.get(f"{server.url}/openapi.json").json()["paths"]


# -- CDS Hooks -----------------------------------------------------------------------------------


def _hook(policy_id: str, order: dict[str, Any], prefetch: dict[str, Any], hook: str = "order-sign") -> Any:
    context: dict[str, Any] = {
        "userId": "Practitioner/dr-1",
        "patientId": "pat-1",
        "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": order}]},
    }
    if hook == "order-select":
        context["selections"] = [f"{order['resourceType']}/{order['id']}"]
    return {"hook": hook, "hookInstance": f"{policy_id}-1", "context": context, "prefetch": prefetch}


def _order_for(policy_id: str) -> dict[str, Any]:
    orders = bound(policy_id).orders
    code = {"system": orders[0].system, "code": orders[0].code} if orders else {"system": "urn:x", "code": "1"}
    kind = "MedicationRequest" if policy_id == "ODM-UPDL-MIGRAINE" else "ServiceRequest"
    key = "medicationCodeableConcept" if kind == "MedicationRequest" else "code"
    return {
        "resourceType": kind,
        "id": "order-1",
        "status": "draft",
        "intent": "order",
        key: {"coding": [code]},
        "subject": {"reference": "Patient/pat-1"},
    }


_PATIENT = {"resourceType": "Patient", "id": "pat-1"}
_COVERAGE = {
    "resourceType": "Bundle",
    "entry": [{"resource": {"resourceType": "Coverage", "id": "cov-1", "status": "active"}}],
}


def _golden_cases(policy_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The first test case of each outcome, its facts given as the answers to the questionnaire."""
    path = ROOT / "policies" / f"{policy_id}.policy"
    policy = load(path)
    cases, _ = testing.load_cases(policy, testing.tests_path(path).read_text(encoding="utf-8"), "x.tests")
    chosen: dict[str, dict[str, Any]] = {}
    for case in cases:
        if case.expect != "invalid":  # a request the contract refuses has no decision to report
            chosen.setdefault(case.expect, {k: v for k, v in case.request.items() if v is not None})
    return sorted(chosen.items())


def _normal(text: str, server: Running) -> Any:
    return jsontext.decode(text.replace(server.url, "http://policyc.test"))


@pytest.mark.parametrize("policy_id", SHIPPED)
def test_cds_hooks_golden_for_each_outcome(server: Running, policy_id: str, update_golden: bool) -> None:
    exchanges = []
    for outcome, request in _golden_cases(policy_id):
        canonical = f"{server.url}/Questionnaire/{policy_id}"
        prefetch = {"patient": _PATIENT, "coverage": _COVERAGE, "answers": response_for(policy_id, request, canonical)}
        sent = _hook(policy_id, _order_for(policy_id), prefetch)
        reply = httpx.post(f"{server.url}/cds-services/{policy_id.lower()}-order-sign", content=jsontext.dumps(sent))
        assert reply.status_code == 200, reply.text
        answered = _normal(reply.text, server)
        for action in answered.get("systemActions", []):
            for extension in action["resource"]["extension"]:
                assert crd.invariants(extension) == []
        logged = [json.loads(line) for line in server.log.read_text().splitlines()]
        assert logged[-1]["outcome"] == outcome  # each hook's decision is logged
        exchanges.append({"outcome": outcome, "request": _normal(jsontext.dumps(sent), server), "response": answered})
    golden = GOLDEN / f"{policy_id}.json"
    text = jsontext.dumps(exchanges, indent=2) + "\n"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_an_order_the_policy_does_not_govern_gets_no_card(server: Running) -> None:
    order = {
        **_order_for("MP-MM-1308"),
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "43239"}]},
    }
    sent = _hook("MP-MM-1308", order, {"patient": _PATIENT, "coverage": _COVERAGE})
    assert httpx.post(f"{server.url}/cds-services/mp-mm-1308-order-sign", json=sent).json() == {"cards": []}


def test_clinician_system_simulator_orders_poem_answers_and_gets_a_definite_decision(server: Running) -> None:
    """The issue's end to end: order-sign with the chart, coverage information and the questionnaire
    of what is missing, the clinician's answers, then order-sign again and a definite decision."""
    chart = resources(fixture("poem-chart.json"))
    prefetch: dict[str, Any] = {
        "patient": chart[0],
        "coverage": {"resourceType": "Bundle", "entry": [{"resource": chart[1]}]},
        "conditions": {"resourceType": "Bundle", "entry": [{"resource": r} for r in chart[2:5]]},
        "procedures": {"resourceType": "Bundle", "entry": [{"resource": r} for r in chart[5:]]},
    }
    order = fixture("poem-order.json")
    with httpx.Client(base_url=server.url) as ehr:
        services = ehr.get("/cds-services").json()["services"]
        service = next(s for s in services if s["hook"] == "order-sign" and s["id"].startswith("mp-mm-1308"))
        first = ehr.post(f"/cds-services/{service['id']}", json=_hook("MP-MM-1308", order, prefetch)).json()
        info = first["systemActions"][0]["resource"]["extension"][0]
        parts = {p["url"]: p for p in info["extension"]}
        assert parts["covered"]["valueCode"] == "conditional" and parts["doc-needed"]["valueCode"] == "clinical"
        assert crd.invariants(info) == []
        form = ehr.get(first["cards"][0]["links"][0]["url"]).json()
        assert form["url"] == parts["questionnaire"]["valueCanonical"]
        asked = [item["linkId"] for item in form["item"]]
        assert asked == [
            "achalasia_type",
            "failed_conventional_therapy",
            "heller_surgical_candidate",
            "eckardt_score",
            "prior_open_foregut_surgery",
            "contraindications",
        ]
        # The clinician answers every item the form shows; the chart gave the rest.
        answers = {
            "achalasia_type": "II",
            "failed_conventional_therapy": True,
            "heller_surgical_candidate": True,
            "eckardt_score": 7,
            "prior_open_foregut_surgery": False,
            "contraindications": [],
        }
        prefetch["answers"] = {
            "resourceType": "Bundle",
            "entry": [{"resource": response_for("MP-MM-1308", answers, form["url"])}],
        }
        second = ehr.post(f"/cds-services/{service['id']}", json=_hook("MP-MM-1308", order, prefetch)).json()
    info = second["systemActions"][0]["resource"]["extension"][0]
    parts = {p["url"]: p for p in info["extension"]}
    assert parts["covered"]["valueCode"] == "covered" and parts["pa-needed"]["valueCode"] == "no-auth"
    assert "questionnaire" not in parts and crd.invariants(info) == []
    assert second["cards"][0]["summary"] == "MP-MM-1308: medically necessary"
    assert [c["summary"] for c in second["cards"][1:]] == ["MP-MM-1308 D.VI: advisory"]  # the GERD advice


def test_concurrent_clients_lose_and_duplicate_no_decision(server: Running) -> None:
    """A bounded load on loopback (the 20,000-decision figure is in docs/benchmarks.md)."""
    ages = list(range(1, 101)) * 4

    def decide(age: int) -> tuple[int, str, str]:
        reply = httpx.post(
            f"{server.url}/policies/MP-MM-1308/decide",
            json={**EXAMPLE, "age": age},
            headers={"X-Request-Id": f"load-{age}-{id(object())}"},
        )
        return age, reply.json()["outcome"], reply.headers["x-request-id"]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(decide, ages))
    assert len(results) == len(ages)
    assert all(outcome == ("needs_review" if age <= 18 else "medically_necessary") for age, outcome, _ in results)


def test_order_select_decides_only_the_selected_order(server: Running) -> None:
    poem = _order_for("MP-MM-1308")
    other = {**poem, "id": "order-2"}
    sent = _hook("MP-MM-1308", poem, {"patient": _PATIENT, "coverage": _COVERAGE}, hook="order-select")
    sent["context"]["draftOrders"]["entry"].append({"resource": other})
    reply = httpx.post(f"{server.url}/cds-services/mp-mm-1308-order-select", json=sent).json()
    assert [a["resource"]["id"] for a in reply["systemActions"]] == ["order-1"]


def test_without_an_active_coverage_there_is_no_coverage_information(server: Running) -> None:
    sent = _hook("MP-MM-1308", _order_for("MP-MM-1308"), {"patient": _PATIENT})
    reply = httpx.post(f"{server.url}/cds-services/mp-mm-1308-order-sign", json=sent).json()
    assert "systemActions" not in reply
    assert reply["cards"][-1]["summary"].startswith("No active Coverage")


def test_a_prefetch_that_is_not_fhir_is_refused(server: Running) -> None:
    sent = _hook("MP-MM-1308", _order_for("MP-MM-1308"), {"patient": {"id": "no-type"}, "coverage": _COVERAGE})
    reply = httpx.post(f"{server.url}/cds-services/mp-mm-1308-order-sign", json=sent)
    assert reply.status_code == 400 and "not a FHIR resource" in reply.json()["message"]


def test_an_answer_out_of_range_stays_unknown_and_the_card_says_why(server: Running) -> None:
    canonical = f"{server.url}/Questionnaire/MP-MM-1308"
    answers = response_for("MP-MM-1308", {**EXAMPLE, "eckardt_score": 40}, canonical)
    sent = _hook(
        "MP-MM-1308", _order_for("MP-MM-1308"), {"patient": _PATIENT, "coverage": _COVERAGE, "answers": answers}
    )
    reply = httpx.post(f"{server.url}/cds-services/mp-mm-1308-order-sign", json=sent).json()
    card = reply["cards"][0]
    assert card["summary"] == "MP-MM-1308: insufficient information"
    assert "Left unknown:\n- `eckardt_score`: must be an integer from 0 to 12" in card["detail"]


def test_answers_for_another_order_never_answer_for_this_one(server: Running) -> None:
    canonical = f"{server.url}/Questionnaire/MP-MM-1308"
    order = _order_for("MP-MM-1308")

    def outcome(based_on: str | None) -> str:
        answers = response_for("MP-MM-1308", EXAMPLE, canonical)
        if based_on:
            answers["basedOn"] = [{"reference": based_on}]
        sent = _hook("MP-MM-1308", order, {"patient": _PATIENT, "coverage": _COVERAGE, "answers": answers})
        reply = httpx.post(f"{server.url}/cds-services/mp-mm-1308-order-sign", json=sent).json()
        return str(reply["cards"][0]["summary"])

    assert outcome("ServiceRequest/order-1") == "MP-MM-1308: medically necessary"
    assert outcome(None) == "MP-MM-1308: medically necessary"
    assert outcome("ServiceRequest/last-years-order") == "MP-MM-1308: insufficient information"
