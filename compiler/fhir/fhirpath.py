"""The bindings as FHIRPath and as CDS Hooks prefetch templates: for the docs, the questionnaire's
`initialExpression`, and the EHR that gathers the chart.

Each bound fact gets FHIRPath expressions over a root: a Bundle (`Bundle.entry.resource.ofType(T)`),
or an SDC variable holding a search result (`%conditions.entry.resource`). A flag has one
expression; a set, an enum or a history has one per value, saying whether the chart shows it. What
FHIRPath (N1) cannot say is left to words in the docs: "the latest", and the age in whole years.
"""

from __future__ import annotations

from collections.abc import Callable

from compiler.fhir.bindings import (
    SYSTEMS,
    Ask,
    Binding,
    Bindings,
    Code,
    CodeMap,
    Found,
    History,
    Measured,
    OrderElement,
    PatientElement,
)
from compiler.fhir.extract import ACTIVE_CONDITION, ENDED_VERIFICATION, FINAL_OBSERVATION, MEDICATION_STATUSES

Root = Callable[[str], str]  # a resource type -> the FHIRPath of the chart's resources of that type

# The prefetch key (and SDC variable) holding each resource type's search.
PREFETCH_KEYS = {
    "Patient": "patient",
    "Coverage": "coverage",
    "Condition": "conditions",
    "Observation": "observations",
    "Procedure": "procedures",
    "MedicationRequest": "medications",
}


def in_bundle(resource_type: str) -> str:
    return f"Bundle.entry.resource.ofType({resource_type})"


def in_variable(resource_type: str) -> str:
    if resource_type == "Patient":
        return "%patient"
    return f"%{PREFETCH_KEYS[resource_type]}.entry.resource.ofType({resource_type})"


def literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _codes(codes: tuple[Code, ...]) -> str:
    """Whether a CodeableConcept (the focus) has one of the codes."""
    by_system: dict[str, list[Code]] = {}
    for code in codes:
        by_system.setdefault(code.system, []).append(code)
    tests = []
    for system, listed in by_system.items():
        each = [f"code.startsWith({literal(c.code)})" if c.prefix else f"code = {literal(c.code)}" for c in listed]
        either = each[0] if len(each) == 1 else "(" + " or ".join(each) + ")"
        tests.append(f"coding.where(system = {literal(system)} and {either}).exists()")
    return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"


def _one_of(values: frozenset[str]) -> str:
    return "(" + " | ".join(literal(v) for v in sorted(values)) + ")"


def _counts(resource_type: str) -> str:
    """The statuses the extractor counts, as a FHIRPath condition."""
    if resource_type == "Condition":
        clinical = f"clinicalStatus.coding.where(code in {_one_of(ACTIVE_CONDITION)}).exists()"
        return f"{clinical} and verificationStatus.coding.where(code in {_one_of(ENDED_VERIFICATION)}).empty()"
    if resource_type == "Procedure":
        return "status = 'completed'"
    if resource_type == "Observation":
        return f"status in {_one_of(FINAL_OBSERVATION)}"
    return f"status in {_one_of(MEDICATION_STATUSES)}"


def _code_element(resource_type: str) -> str:
    return "medication.ofType(CodeableConcept)" if resource_type == "MedicationRequest" else "code"


def _order_code() -> str:
    return "(%order.code | %order.medication.ofType(CodeableConcept) | %order.code.ofType(CodeableConcept))"


def expressions(binding: Binding, root: Root = in_bundle) -> dict[str, str]:
    """FHIRPath for one binding: '' for the fact itself, or one per value it can show."""
    source = binding.source
    if isinstance(source, Ask):
        return {}
    if isinstance(source, PatientElement):
        patient = root("Patient")
        if source.element == "state":
            return {"": f"{patient}.address.where((use = 'home' or use.empty()) and period.end.empty()).state"}
        return {"": f"{patient}.birthDate"}
    if isinstance(source, OrderElement):
        return _order(source)
    if isinstance(source, Found):
        found = f"{root(source.resource)}.where({_counts(source.resource)})"
        element = _code_element(source.resource)
        return {value: f"{found}.where({element}.{_codes(codes)}).exists()" for value, codes in _entries(source.codes)}
    if isinstance(source, Measured):
        code = _codes((source.code,))
        return {"": f"{root('Observation')}.where({_counts('Observation')} and code.{code})"}
    assert isinstance(source, History)
    counted = f"{root(source.resource)}.where({_counts(source.resource)})"
    mapped = [m for _, m in source.fields if isinstance(m, CodeMap)]
    if not mapped:
        return {"": counted}
    element = _code_element(source.resource)
    return {value: f"{counted}.where({element}.{_codes(codes)})" for value, codes in _entries(mapped[0])}


def _entries(codes: CodeMap) -> list[tuple[str, tuple[Code, ...]]]:
    return [(value, listed) for value, listed in codes.entries if listed]


def _order(source: OrderElement) -> dict[str, str]:
    element = source.element
    if element == "occurrence":
        return {"": "(%order.occurrence.ofType(dateTime) | %order.occurrence.ofType(Period).start)"}
    if element == "authored":
        return {"": "%order.authoredOn"}
    if element == "quantity":
        return {"": "(%order.dispenseRequest.quantity.value | %order.quantity.ofType(Quantity).value)"}
    if element == "supply_days":
        return {
            "": "%order.dispenseRequest.expectedSupplyDuration.where(system = 'http://unitsofmeasure.org' "
            "and code = 'd').value"
        }
    concept = "%order.reasonCode" if element == "reason" else _order_code()
    if source.codes is None:
        return {"": f"{concept}.coding.code"}
    return {value: f"{concept}.{_codes(codes)}" for value, codes in _entries(source.codes)}


def prefetch(bindings: Bindings, questionnaire: str | None = None) -> dict[str, str]:
    """The CDS Hooks prefetch templates: the searches whose results the extractor reads."""
    kinds = {"Patient", "Coverage"}
    loinc: list[str] = []
    for binding in bindings.bindings:
        source = binding.source
        if isinstance(source, (Found, History)):
            kinds.add(source.resource)
        elif isinstance(source, Measured):
            kinds.add("Observation")
            loinc.append(f"{source.code.system}|{source.code.code}")
    templates = {}
    for kind, key in PREFETCH_KEYS.items():
        if kind not in kinds:
            continue
        if kind == "Patient":
            templates[key] = "Patient/{{context.patientId}}"
        elif kind == "Coverage":
            templates[key] = "Coverage?patient={{context.patientId}}&status=active"
        elif kind == "Observation":
            templates[key] = "Observation?patient={{context.patientId}}&code=" + ",".join(dict.fromkeys(loinc))
        else:
            templates[key] = f"{kind}?patient={{{{context.patientId}}}}"
    if questionnaire is not None:  # the answers to the questionnaire of an earlier hook
        templates["answers"] = f"QuestionnaireResponse?subject={{{{context.patientId}}}}&questionnaire={questionnaire}"
    return templates


def system_name(uri: str) -> str:
    return next((name for name, known in SYSTEMS.items() if known == uri), uri)
