"""CDS Hooks (CRD): one `order-sign` and one `order-select` service per policy with bindings.

A hook carries the draft orders in its context and the chart in its prefetch. For each order the
policy governs, the chart and the answers to an earlier questionnaire (prefetch `answers`; the
clinician's answers override the chart) become one request; its decision comes back as cards and
as a `systemActions` update of the order carrying CRD's coverage information.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.fhir import crd, fhirpath, questionnaire
from compiler.fhir.extract import BadChart, Chart, code_of, codings, resources_in
from compiler.service.registry import Served

HOOKS = ("order-sign", "order-select")


class BadHook(ValueError):
    """A hook request the service cannot read: answered with 400 and the reason."""


def service_id(policy_id: str, hook: str) -> str:
    return f"{policy_id.lower()}-{hook}"


def discovery(served: Mapping[str, Served], base: str) -> dict[str, Any]:
    services = []
    for one in served.values():
        if one.bindings is None:
            continue
        canonical = questionnaire.canonical(base, one.policy)
        for hook in HOOKS:
            services.append(
                {
                    "hook": hook,
                    "id": service_id(one.policy_id, hook),
                    "title": f"{one.policy_id}: {one.policy.title}",
                    "description": f"Coverage requirements of {one.policy_id} (CRD {crd.CRD_VERSION}) when an order is "
                    + ("signed." if hook == "order-sign" else "selected."),
                    "prefetch": fhirpath.prefetch(one.bindings, canonical),
                }
            )
    return {"services": services}


def find(served: Mapping[str, Served], wanted: str) -> tuple[Served, str] | None:
    for one in served.values():
        for hook in HOOKS:
            if one.bindings is not None and service_id(one.policy_id, hook) == wanted:
                return one, hook
    return None


def respond(one: Served, hook: str, body: object, base: str, today: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The hook's response, and the decisions it made (for the decision log)."""
    if not isinstance(body, dict):
        raise BadHook("a CDS Hooks request is a JSON object")
    if body.get("hook") != hook:
        raise BadHook(f"this service answers the {hook} hook, not {body.get('hook')!r}")
    context, prefetch = body.get("context"), body.get("prefetch") or {}
    if not isinstance(context, dict) or not isinstance(prefetch, dict):
        raise BadHook("context and prefetch are JSON objects")
    chart = _Chart(
        resources=list(_resources(prefetch, exclude=("answers",))),
        answers=_answers(prefetch.get("answers"), questionnaire.canonical(base, one.policy)),
        coverage=_coverage(prefetch.get("coverage")),
    )
    cards: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    for order in _orders(context, hook):
        coded = codings(code_of(order))
        if one.bindings is None or not one.bindings.governs(coded):
            continue  # an order this policy does not govern
        billing = one.bindings.billing_code(one.policy, coded)
        made, action, decided = _order(one, order, billing, chart, base, today)
        cards += made
        actions += [action] if action else []
        decisions.append(decided)
    return ({"cards": cards, "systemActions": actions} if actions else {"cards": cards}), decisions


@dataclass(frozen=True)
class _Chart:
    resources: list[dict[str, Any]]
    answers: list[dict[str, Any]]  # the completed QuestionnaireResponses to this policy's questionnaire
    coverage: str | None  # a reference to the active Coverage


def _order(
    one: Served, order: dict[str, Any], billing: tuple[str, str] | None, chart: _Chart, base: str, today: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, Any]]:
    """One order's cards, its update carrying the coverage information (if any), and its decision."""
    assert one.bindings is not None and one.extract is not None
    try:
        extraction = one.extract(Chart.of(chart.resources, order))
    except BadChart as exc:
        raise BadHook("the prefetch is not FHIR: " + "; ".join(exc.problems)) from None
    request = {**extraction.request}
    notes = [n.to_dict() for n in extraction.notes]
    answered = _latest_for(chart.answers, f"{order.get('resourceType')}/{order.get('id')}")
    if answered is not None:
        try:
            request.update(questionnaire.answers(one.policy, answered))  # the clinician's word wins
        except questionnaire.BadResponse as exc:
            notes += [
                {"fact": e["field"], "message": e["message"], "resource": "QuestionnaireResponse"} for e in exc.errors
            ]
    decision = _decide(one, request, notes)
    decision["assertion_id"] = crd.assertion_id(one.policy.source_sha256, request)
    here = f"{base.rstrip('/')}/policies/{one.policy_id}"
    cards = crd.cards(one.bindings, decision, here, notes)
    decided = {"decision": decision, "notes": notes, "request": request}
    if chart.coverage is None:
        cards.append(_card(one, "No active Coverage in the prefetch: no coverage information", "warning"))
        return cards, None, decided
    canonical = questionnaire.canonical(base, one.policy)
    extension = crd.coverage_information(one.bindings, decision, request, chart.coverage, today, billing, canonical)
    if extension is None:
        return cards, None, decided
    updated = copy.deepcopy(order)
    updated.setdefault("extension", []).append(extension)
    action = {"type": "update", "description": f"Coverage information from {one.policy_id}", "resource": updated}
    return cards, action, decided


def _decide(one: Served, request: dict[str, Any], notes: list[dict[str, Any]]) -> dict[str, Any]:
    """Decide; a value the evaluator refuses (an answer out of its range) is left unknown, and noted."""
    while True:
        try:
            return one.decide(request)
        except one.evaluator.InvalidRequest as exc:
            refused = {crd.fact_of(e.field) for e in exc.errors}
            notes += [{"fact": e.field, "message": e.message, "resource": None} for e in exc.errors]
            if not refused & request.keys():  # every error names a fact of the request: cannot happen
                raise
            for name in refused:
                request.pop(name, None)


def _card(one: Served, summary: str, indicator: str) -> dict[str, Any]:
    return {"summary": summary[:140], "indicator": indicator, "source": {"label": one.policy_id}}


def _orders(context: Mapping[str, Any], hook: str) -> Iterator[dict[str, Any]]:
    drafts = context.get("draftOrders")
    if not isinstance(drafts, dict) or drafts.get("resourceType") != "Bundle":
        raise BadHook("context.draftOrders is not a FHIR Bundle")
    selected = context.get("selections") if hook == "order-select" else None
    if hook == "order-select" and not isinstance(selected, list):
        raise BadHook("order-select needs context.selections")
    for resource in _resources({"draftOrders": drafts}):
        reference = f"{resource.get('resourceType')}/{resource.get('id')}"
        if selected is None or reference in selected:
            yield resource


def _resources(prefetch: Mapping[str, Any], exclude: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """Every resource of the prefetch: each key's resource, or the resources of its Bundle."""
    for key, value in prefetch.items():
        if key not in exclude and value is not None:
            try:
                yield from resources_in(value, f"prefetch {key!r}")
            except BadChart as exc:
                raise BadHook("; ".join(exc.problems)) from None


def _coverage(found: object) -> str | None:
    """A reference to the member's active Coverage, which CRD's coverage information points to."""
    if found is None:
        return None
    active = [r for r in _resources({"coverage": found}) if r.get("resourceType") == "Coverage"]
    active = [r for r in active if r.get("status") == "active" and isinstance(r.get("id"), str)]
    return f"Coverage/{active[0]['id']}" if active else None


def _answers(found: object, canonical: str) -> list[dict[str, Any]]:
    """The completed QuestionnaireResponses to this policy's questionnaire (any version of it)."""
    if found is None:
        return []
    return [
        r
        for r in _resources({"answers": found})
        if r.get("resourceType") == "QuestionnaireResponse"
        and str(r.get("questionnaire", "")).split("|")[0] == canonical
        and r.get("status") in ("completed", "amended")
    ]


def _latest_for(responses: list[dict[str, Any]], order: str) -> dict[str, Any] | None:
    """The latest response for this order: one `basedOn` it, or one based on no order at all.
    A response for another order (last year's, say) never answers for this one."""

    def based_on(response: dict[str, Any]) -> list[object]:
        found = response.get("basedOn")
        return [r.get("reference") for r in found if isinstance(r, dict)] if isinstance(found, list) else []

    fitting = [r for r in responses if not based_on(r) or order in based_on(r)]
    return max(fitting, key=lambda r: str(r.get("authored", "")), default=None)
