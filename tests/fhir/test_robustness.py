"""Any JSON where FHIR is expected: the extractor, the answers and the hook either read it or
refuse it with a reason (BadChart, BadResponse, BadHook), never a traceback."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.fhir import questionnaire
from compiler.fhir.extract import BadChart, Chart, extractor
from compiler.service import hooks
from compiler.service.registry import Served
from compiler.targets import python
from tests.fhir.conftest import bound, fixture, policy, resources

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=12) | st.sampled_from(["2025-01-01", "K22.0"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["code", "coding", "system", "value", "start", "end", "state", "use", "period", "status", "id"]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


@st.composite
def _damaged(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The POEM chart and order with some of their elements replaced by any JSON."""
    chart = copy.deepcopy(resources(fixture("poem-chart.json")))
    order = copy.deepcopy(fixture("poem-order.json"))
    for _ in range(draw(st.integers(1, 6))):
        node: Any = draw(st.sampled_from([*chart, order]))
        while True:  # down to any element, at any depth, and replace one of its children
            keys = [k for k in (node if isinstance(node, dict) else range(len(node))) if k != "resourceType"]
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            if isinstance(node[key], (dict, list)) and node[key] and draw(st.booleans()):
                node = node[key]
                continue
            node[key] = draw(_JSON)
            break
    return chart, order


@settings(max_examples=400, deadline=None)
@given(_damaged())
def test_the_extractor_reads_any_damaged_chart_or_refuses_it(damaged: tuple[list[Any], dict[str, Any]]) -> None:
    chart, order = damaged
    read = extractor(bound("MP-MM-1308"), policy("MP-MM-1308"))
    try:
        found = read(Chart.of(chart, order))
    except BadChart:
        return
    python.load_module(policy("MP-MM-1308")).validate(found.request)  # what it reads, the evaluator takes


@settings(max_examples=400, deadline=None)
@given(_damaged(), _JSON)
def test_a_hook_with_any_damaged_prefetch_or_answers_gets_a_reply_or_a_reason(
    damaged: tuple[list[Any], dict[str, Any]], answer: Any
) -> None:
    chart, order = damaged
    served = Served(
        policy("MP-MM-1308"),
        python.load_module(policy("MP-MM-1308")),
        bound("MP-MM-1308"),
        extractor(bound("MP-MM-1308"), policy("MP-MM-1308")),
    )
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "b/Questionnaire/MP-MM-1308",
        "item": [
            {"linkId": "eckardt_score", "answer": [{"valueInteger": answer}]},
            {"linkId": "contraindications", "answer": answer},
        ],
    }
    body = {
        "hook": "order-sign",
        "context": {"patientId": "pat-1", "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": order}]}},
        "prefetch": {
            "patient": chart[0],
            "coverage": {"resourceType": "Bundle", "entry": [{"resource": chart[1]}]},
            "conditions": {"resourceType": "Bundle", "entry": [{"resource": r} for r in chart[2:]]},
            "answers": response,
        },
    }
    with contextlib.suppress(hooks.BadHook):
        hooks.respond(served, "order-sign", body, "b", "2026-01-02")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["linkId", "answer", "item", "extension"]), _JSON), max_size=4))
def test_any_questionnaire_response_is_read_or_refused_naming_items(items: list[Any]) -> None:
    try:
        questionnaire.answers(policy("CMS-NCD-210.14"), {"resourceType": "QuestionnaireResponse", "item": items})
    except questionnaire.BadResponse as exc:
        assert exc.errors
