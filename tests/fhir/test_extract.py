"""The extractor against the chart as a person reads it, and against fhirpathpy (FHIRPath with
its R4 model) as an independent oracle: the same bindings, as FHIRPath, must select the same things."""

from __future__ import annotations

import copy
import dataclasses
import datetime
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from fhirpathpy import evaluate as fhirpath_evaluate
from fhirpathpy.models import models
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.fhir import bindings, fhirpath
from compiler.fhir.extract import Chart, extractor
from tests.fhir.conftest import bound, fixture, policy

ICD = bindings.SYSTEMS["ICD10CM"]
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def _extract(policy_id: str, bundle: dict[str, Any], order: dict[str, Any] | None, closed: bool = False) -> Any:
    made = bound(policy_id)
    if closed:  # the oracle compares what the chart shows, so read it as complete
        made = dataclasses.replace(
            made,
            bindings=tuple(
                dataclasses.replace(b, source=dataclasses.replace(b.source, closed=True))
                if isinstance(b.source, (bindings.Found, bindings.History))
                else b
                for b in made.bindings
            ),
        )
    return extractor(made, policy(policy_id))(Chart.from_bundle(bundle, order))


def _path(expression: str, bundle: dict[str, Any], order: dict[str, Any] | None) -> list[Any]:
    return list(fhirpath_evaluate(bundle, expression, {"order": order}, models["r4"]))


def test_the_poem_chart_gives_what_a_reader_finds_in_it() -> None:
    found = _extract("MP-MM-1308", fixture("poem-chart.json"), fixture("poem-order.json"))
    # Born 1979-06-14, POEM on 2026-01-15: 46. Home address in Ohio (the Kentucky one ended in 2019).
    assert found.request == {"state": "OH", "service_date": "2026-01-15", "age": 46, "diagnosis": "primary_achalasia"}
    assert found.sources["diagnosis"] == ("ServiceRequest/poem-order",)
    unknown = {note.fact for note in found.notes}
    assert unknown == {"contraindications", "prior_achalasia_therapies"}  # a chart need not list every one


def test_read_as_complete_the_chart_counts_only_what_stands() -> None:
    found = _extract("MP-MM-1308", fixture("poem-chart.json"), fixture("poem-order.json"), closed=True)
    # The resolved GERD and the refuted cancer do not count; the planned botulinum injection is not done.
    assert found.request["contraindications"] == []
    assert found.request["prior_achalasia_therapies"] == ["pneumatic_dilation"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"reasonCode": [{"coding": [{"system": "http://example.org/local", "code": "ACH"}]}]}, "no code in a system"),
        (
            {"reasonCode": [{"coding": [{"system": ICD, "code": "K22.0"}, {"system": ICD, "code": "K22.4"}]}]},
            "more than one value",
        ),
        ({"reasonCode": []}, "no code in a system"),
    ],
)
def test_an_order_reason_that_cannot_be_read_stays_unknown(change: dict[str, Any], reason: str) -> None:
    order = {**fixture("poem-order.json"), **change}
    found = _extract("MP-MM-1308", fixture("poem-chart.json"), order)
    assert "diagnosis" not in found.request
    assert any(n.fact == "diagnosis" and reason in n.message for n in found.notes)


def test_another_icd10_reason_is_any_other_indication() -> None:
    order = {**fixture("poem-order.json"), "reasonCode": [{"coding": [{"system": ICD, "code": "R13.10"}]}]}
    assert _extract("MP-MM-1308", fixture("poem-chart.json"), order).request["diagnosis"] == "other"


@pytest.mark.parametrize(
    ("born", "age"),
    [
        ("1979-06-14", 46),
        ("1979-01-16", 46),
        ("1979-01-15", 47),
        ("1979-03", 46),
        ("1979-01", None),
        ("1979", None),
        ("2030-01-01", None),
    ],
)
def test_an_age_is_whole_years_and_a_coarse_birth_date_gives_one_only_when_every_day_agrees(
    born: str, age: int | None
) -> None:
    bundle = copy.deepcopy(fixture("poem-chart.json"))
    bundle["entry"][0]["resource"]["birthDate"] = born
    found = _extract("MP-MM-1308", bundle, fixture("poem-order.json"))
    assert found.request.get("age") == age


def test_bad_fhir_is_refused_naming_the_problem() -> None:
    from compiler.fhir.extract import BadChart

    with pytest.raises(BadChart, match="not a FHIR resource"):
        Chart.from_bundle({"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]})
    with pytest.raises(BadChart, match="expected a FHIR Bundle"):
        Chart.from_bundle([])
    with pytest.raises(BadChart, match="not a ServiceRequest"):
        Chart.from_bundle({"resourceType": "Bundle"}, {"resourceType": "Patient"})


# -- The oracle -----------------------------------------------------------------------------------


def _oracle(policy_id: str, bundle: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    """Each bound fact as FHIRPath over the bundle says it, with the arithmetic done apart."""
    made, facts = bound(policy_id), {f.name: f for f in policy(policy_id).facts}
    request: dict[str, Any] = {}
    for binding in made.bindings:
        source, kind = binding.source, facts[binding.fact].type
        paths = fhirpath.expressions(binding)
        if isinstance(source, (bindings.Ask, bindings.History)):
            continue
        if isinstance(source, bindings.PatientElement) and source.element == "age":
            born = _path(paths[""], bundle, order)
            on = request.get(source.on or "")
            if born and on:
                request[binding.fact] = relativedelta(
                    datetime.date.fromisoformat(on), datetime.date.fromisoformat(born[0])
                ).years
        elif "" in paths:
            found = [str(v) for v in _path(paths[""], bundle, order)]
            if len(set(found)) == 1:
                request[binding.fact] = found[0][:10] if found[0][:4].isdigit() else found[0]
        else:
            shown = [value for value, path in paths.items() if _path(path, bundle, order) == [True]]
            if hasattr(kind, "values") and type(kind).__name__ == "EnumSet":
                request[binding.fact] = [v for v in kind.values if v in shown]  # type: ignore[attr-defined]
            elif type(kind).__name__ == "Boolean":
                request[binding.fact] = bool(shown)
            elif len(shown) == 1:
                request[binding.fact] = shown[0]
    return request


def test_fhirpath_selects_what_the_extractor_reads_in_the_poem_chart() -> None:
    bundle, order = fixture("poem-chart.json"), fixture("poem-order.json")
    found = _extract("MP-MM-1308", bundle, order, closed=True).request
    assert _oracle("MP-MM-1308", bundle, order) == found


_CONTRAINDICATION_CODES = ["K20.81", "K21.00", "D65", "D68.51", "K76.6", "J44.1", "J96.10", "C15.9", "C16.0", "K22.0"]


@st.composite
def _charts(draw: st.DrawFn) -> dict[str, Any]:
    conditions = draw(
        st.lists(
            st.tuples(
                st.sampled_from(_CONTRAINDICATION_CODES),
                st.sampled_from(["active", "recurrence", "resolved", "inactive", None]),
                st.sampled_from([None, "confirmed", "refuted", "entered-in-error"]),
                st.sampled_from([ICD, "http://snomed.info/sct", "http://example.org/local"]),
            ),
            max_size=6,
        )
    )
    entries = [{"resource": fixture("poem-chart.json")["entry"][0]["resource"]}]
    for index, (code, clinical, verification, system) in enumerate(conditions):
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "id": f"c{index}",
            "code": {"coding": [{"system": system, "code": code}]},
        }
        if clinical:
            condition["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": clinical}]}
        if verification:
            condition["verificationStatus"] = {"coding": [{"code": verification}]}
        entries.append({"resource": condition})
    return {"resourceType": "Bundle", "entry": entries}


@settings(max_examples=60, deadline=None)
@given(_charts(), st.sampled_from(["K22.0", "K22.4", "K31.84", "R13.10", "Z00"]))
def test_fhirpath_and_the_extractor_agree_on_any_problem_list(bundle: dict[str, Any], reason: str) -> None:
    order = {**fixture("poem-order.json"), "reasonCode": [{"coding": [{"system": ICD, "code": reason}]}]}
    found = _extract("MP-MM-1308", bundle, order, closed=True).request
    expected = _oracle("MP-MM-1308", bundle, order)
    assert found["contraindications"] == expected["contraindications"]
    assert found["diagnosis"] == expected.get("diagnosis", "other")


def test_an_observation_is_the_latest_final_one_in_its_window_and_unit() -> None:
    from compiler import compile_source

    text = """policy "T-OBS" { title: "t" effective: 2020-01-01 }
fact service_date: date "Date of service."
fact bmi: decimal 10..80 unit "kg/m2" "Body mass index."
section A "A" { rule A.1 "BMI 35 or more." when bmi >= 35 }
outcome yes "Yes." outcome no "No." outcome unknown "Unknown."
decide { yes when A.1 otherwise no by A.1 unknown unknown }
"""
    made_policy, diagnostics = compile_source(text, "t.policy")
    assert made_policy is not None, diagnostics
    made, problems = bindings.read(
        'bindings "T-OBS" profile "x" { service_date: order.occurrence\n'
        'bmi: observation LOINC "39156-5" unit "kg/m2" within 90 days before service_date }',
        "t.bindings",
        made_policy,
    )
    assert made is not None, problems

    def observation(ident: str, day: str, value: Any, unit: str = "kg/m2", status: str = "final") -> Any:
        return {
            "resource": {
                "resourceType": "Observation",
                "id": ident,
                "status": status,
                "code": {"coding": [{"system": "http://loinc.org", "code": "39156-5"}]},
                "effectiveDateTime": day,
                "valueQuantity": {"value": value, "system": bindings.UCUM, "code": unit},
            }
        }

    from decimal import Decimal

    read = extractor(made, made_policy)
    order = {"resourceType": "ServiceRequest", "id": "o", "occurrenceDateTime": "2025-06-30"}
    entries = [
        observation("old", "2025-03-01", Decimal("41.5")),  # before the 90 days
        observation("kept", "2025-05-01", Decimal("36.2")),
        observation("draft", "2025-06-01", Decimal("30.0"), status="preliminary"),
        observation("after", "2025-07-01", Decimal("30.0")),  # after the date of service
    ]
    chart = {"resourceType": "Bundle", "entry": entries}
    assert read(Chart.from_bundle(chart, order)).request["bmi"] == Decimal("36.2")
    candidates = fhirpath.expressions(made.of("bmi"))[""]
    selected = fhirpath_evaluate(chart, candidates, {}, models["r4"])
    assert sorted(o["id"] for o in selected) == ["after", "kept", "old"]  # the window is applied apart
    entries.append(observation("pounds", "2025-06-15", 250, unit="[lb_av]"))
    found = read(Chart.from_bundle(chart, order))
    assert "bmi" not in found.request  # the latest is in another unit: unknown, never converted in silence
    assert any("[lb_av]" in n.message for n in found.notes)
    entries[-1] = observation("huge", "2025-06-15", 95)
    found = read(Chart.from_bundle(chart, order))
    assert "bmi" not in found.request and any("outside" in n.message for n in found.notes)


def test_a_history_is_one_record_per_counted_resource_that_maps() -> None:
    cpt, hcpcs = bindings.SYSTEMS["CPT"], bindings.SYSTEMS["HCPCS"]

    def procedure(ident: str, system: str, code: str, day: str | None, status: str = "completed") -> Any:
        made = {
            "resourceType": "Procedure",
            "id": ident,
            "status": status,
            "code": {"coding": [{"system": system, "code": code}]},
        }
        if day:
            made["performedDateTime" if "T" in day else "performedPeriod"] = day if "T" in day else {"start": day}
        return {"resource": made}

    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "1960-02-01"}},
            procedure("visit", hcpcs, "G0296", "2024-04-15T09:00:00Z"),
            procedure("ct", cpt, "71271", "2023-05-02"),
            procedure("ct-cancelled", cpt, "71271", "2024-01-01T10:00:00Z", status="not-done"),
            procedure("colonoscopy", hcpcs, "G0105", "2024-02-01T10:00:00Z"),  # not a service of this history
        ],
    }
    order = {
        "resourceType": "ServiceRequest",
        "id": "o",
        "occurrenceDateTime": "2024-05-01",
        "code": {"coding": [{"system": cpt, "code": "71271"}]},
    }
    found = _extract("CMS-NCD-210.14", bundle, order, closed=True)
    assert found.request["prior_services"] == [
        {"service": "counseling_visit", "date": "2024-04-15"},
        {"service": "ldct", "date": "2023-05-02"},
    ]
    assert found.request["service"] == "ldct" and found.request["date_of_birth"] == "1960-02-01"
    paths = fhirpath.expressions(bound("CMS-NCD-210.14").of("prior_services"))
    shown = {
        value: [r["id"] for r in fhirpath_evaluate(bundle, path, {}, models["r4"])] for value, path in paths.items()
    }
    assert shown == {"counseling_visit": ["visit"], "ldct": ["ct"]}
    bundle["entry"][1]["resource"].pop("performedDateTime")
    found = _extract("CMS-NCD-210.14", bundle, order, closed=True)
    assert "prior_services" not in found.request  # a record without its date: the history is unknown
    assert any(n.resource == "Procedure/visit" and "not a full date" in n.message for n in found.notes)


def test_a_history_from_medication_requests() -> None:
    from compiler import compile_source

    text = """policy "T-MED" { title: "t" effective: 2020-01-01 }
fact fills: list of {
    drug: enum { sumatriptan "Sumatriptan", topiramate "Topiramate" } "The drug.",
    date: date "When it was ordered.",
} "Earlier orders."
section A "A" { rule A.1 "Two trials." when count(f in fills) >= 2 }
outcome yes "Yes." outcome no "No." outcome unknown "Unknown."
decide { yes when A.1 otherwise no by A.1 unknown unknown }
"""
    made_policy, diagnostics = compile_source(text, "t.policy")
    assert made_policy is not None, diagnostics
    rxnorm = bindings.SYSTEMS["RXNORM"]
    made, problems = bindings.read(
        'bindings "T-MED" profile "x" { fills: medication history {\n'
        'drug: { sumatriptan: RXNORM "37418" topiramate: RXNORM "38404" } date: authored } closed }',
        "t.bindings",
        made_policy,
    )
    assert made is not None, problems

    def ordered(ident: str, code: str, day: str, status: str = "completed") -> Any:
        return {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": ident,
                "status": status,
                "authoredOn": day,
                "medicationCodeableConcept": {"coding": [{"system": rxnorm, "code": code}]},
            }
        }

    chart = {
        "resourceType": "Bundle",
        "entry": [
            ordered("a", "37418", "2024-01-02"),
            ordered("b", "38404", "2024-03-04T10:00:00Z"),
            ordered("c", "38404", "2024-05-06", status="cancelled"),
            ordered("d", "99999", "2024-06-07"),
        ],
    }
    found = extractor(made, made_policy)(Chart.from_bundle(chart))
    assert found.request == {
        "fills": [{"drug": "sumatriptan", "date": "2024-01-02"}, {"drug": "topiramate", "date": "2024-03-04"}]
    }
    assert found.sources["fills"] == ("MedicationRequest/a", "MedicationRequest/b")
