"""The extractor: a FHIR R4 chart -> a policy's request, by its bindings, in plain Python.

A general FHIRPath engine costs most of a millisecond per bundle; the decision costs microseconds.
So each binding becomes one small function over the chart's resources, indexed by type once.
What the chart cannot say stays unknown, with a note naming the fact and the resource: a value in
another unit, a code in a system the bindings do not know, two resources that disagree, a partial
date, a value outside the fact's range. It never becomes a yes, a no or a nearest value.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from compiler import model
from compiler.fhir.bindings import (
    SYSTEMS,
    UCUM,
    Ask,
    Binding,
    Bindings,
    CodeMap,
    Coding,
    Found,
    History,
    Measured,
    OrderElement,
    PatientElement,
    Source,
)
from compiler.model import types

ACTIVE_CONDITION = frozenset({"active", "recurrence", "relapse"})
ENDED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
FINAL_OBSERVATION = frozenset({"final", "amended", "corrected"})
MEDICATION_STATUSES = frozenset({"active", "completed"})
_CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_FULL_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class BadChart(ValueError):
    """Input that is not a FHIR bundle or resource at all: the request is refused, naming each problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Note:
    """Why a fact the bindings could read stays unknown, or where a value came from."""

    fact: str
    message: str
    resource: str | None = None  # "Observation/bmi-1"

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "message": self.message, "resource": self.resource}


@dataclass(frozen=True)
class Extraction:
    request: dict[str, Any]  # JSON types, as the evaluator takes them; unknown facts are left out
    sources: dict[str, tuple[str, ...]]  # each fact read from the chart: the resources it came from
    notes: tuple[Note, ...]


@dataclass
class Chart:
    """One patient's resources by type, and the order being placed."""

    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    order: dict[str, Any] | None = None

    @classmethod
    def of(cls, resources: Iterable[object], order: object = None) -> Chart:
        """From resources (a Bundle's entries, or a hook's prefetch), refusing what is not a resource."""
        chart, problems = cls(), []
        for index, resource in enumerate(resources):
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            if not isinstance(kind, str):
                problems.append(f"entry {index} is not a FHIR resource (no resourceType)")
                continue
            if kind == "Bundle":
                problems.append(f"entry {index} is a Bundle inside a Bundle")
                continue
            chart.resources.setdefault(kind, []).append(resource)  # type: ignore[arg-type]
        if order is not None:
            kind = order.get("resourceType") if isinstance(order, dict) else None
            if kind not in ("ServiceRequest", "MedicationRequest", "DeviceRequest"):
                problems.append("the order is not a ServiceRequest, MedicationRequest or DeviceRequest")
            else:
                chart.order = order  # type: ignore[assignment]
        if problems:
            raise BadChart(problems)
        return chart

    @classmethod
    def from_bundle(cls, bundle: object, order: object = None) -> Chart:
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise BadChart(["expected a FHIR Bundle (resourceType 'Bundle')"])
        return cls.of(resources_in(bundle, "the Bundle"), order)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return self.resources.get(kind, [])


def resources_in(found: object, where: str) -> list[dict[str, Any]]:
    """A resource, or the resources of a Bundle (a search result), refusing what is neither."""
    if not isinstance(found, dict):
        raise BadChart([f"{where} is not a FHIR resource"])
    if found.get("resourceType") != "Bundle":
        return [found]
    entries = found.get("entry", [])
    if not isinstance(entries, list):
        raise BadChart([f"{where}: Bundle.entry is not a list"])
    resources = [entry.get("resource") if isinstance(entry, dict) else None for entry in entries]
    if not all(isinstance(resource, dict) for resource in resources):
        raise BadChart([f"{where}: an entry has no resource"])
    return resources  # type: ignore[return-value]  # each one a dict, as just checked


Read = Callable[[Chart, dict[str, Any], "_Notes"], Any]  # the value as JSON, or None when unknown


class _Notes:
    def __init__(self) -> None:
        self.notes: list[Note] = []
        self.sources: dict[str, list[str]] = {}

    def add(self, fact: str, message: str, resource: Mapping[str, Any] | None = None) -> None:
        self.notes.append(Note(fact, message, None if resource is None else reference(resource)))

    def used(self, fact: str, resource: Mapping[str, Any]) -> None:
        self.sources.setdefault(fact, []).append(reference(resource))


def reference(resource: Mapping[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id', '?')}"


def extractor(bindings: Bindings, policy: model.Policy) -> Callable[[Chart], Extraction]:
    """Compile the bindings once; the function it returns reads one chart."""
    facts = {f.name: f for f in policy.facts}
    # Facts read on a date (an age, an observation's window) come after the date facts they need.
    ordered = sorted(bindings.bindings, key=_needs)
    readers = [(b.fact, _reader(b, facts[b.fact])) for b in ordered if not isinstance(b.source, Ask)]

    def extract(chart: Chart) -> Extraction:
        request: dict[str, Any] = {}
        notes = _Notes()
        for name, read in readers:
            value = read(chart, request, notes)
            if value is not None:
                request[name] = value
        sources = {name: tuple(found) for name, found in notes.sources.items() if name in request}
        return Extraction(request, sources, tuple(notes.notes))

    return extract


def _needs(binding: Binding) -> bool:
    source = binding.source
    return isinstance(source, Measured) or (isinstance(source, PatientElement) and source.on is not None)


def _reader(binding: Binding, fact: types.Fact) -> Read:
    source: Source = binding.source
    check = _checker(fact)
    if isinstance(source, PatientElement):
        read = _patient(fact.name, source)
    elif isinstance(source, OrderElement):
        read = _order(fact, source)
    elif isinstance(source, Found):
        read = _found(fact, source)
    elif isinstance(source, Measured):
        read = _measured(fact, source)
    else:
        assert isinstance(source, History)
        read = _history(fact, source)

    def checked(chart: Chart, request: dict[str, Any], notes: _Notes) -> Any:
        value = read(chart, request, notes)
        if value is None:
            return None
        problem = check(value)
        if problem is not None:
            notes.add(fact.name, problem)
            return None
        return value

    return checked


def _checker(fact: types.Fact) -> Callable[[Any], str | None]:
    """What the evaluator would refuse in a value read from the chart: it is noted, and left unknown."""
    kind = fact.type
    if isinstance(kind, (types.Integer, types.Decimal)):
        low, high, unit = kind.low, kind.high, f" {kind.unit}" if kind.unit else ""

        def number(value: Any) -> str | None:
            if isinstance(kind, types.Integer) and value != int(value):
                return f"the chart gives {value}, not a whole number"
            return None if low <= value <= high else f"the chart gives {value}{unit}, outside {low} to {high}"

        return number
    if isinstance(kind, types.String) and kind.pattern is not None:
        pattern = re.compile(kind.pattern)
        return lambda value: None if pattern.fullmatch(value) else f"the chart gives {value!r}, not of its form"
    return lambda value: None


# -- Elements -----------------------------------------------------------------------------------


def _date(text: object) -> datetime.date | None:
    """The calendar day a FHIR date or dateTime names, as written; None for a partial or bad one."""
    if not isinstance(text, str):
        return None
    match = _FULL_DATE.match(text)
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _day(fact: str, text: object, what: str, resource: Mapping[str, Any], notes: _Notes) -> str | None:
    day = _date(text)
    if day is None:
        shown = f" ({text!r})" if text is not None else ""
        notes.add(fact, f"{what} is not a full date{shown}", resource)
        return None
    return day.isoformat()


def codings(concepts: object) -> list[Coding]:
    """(system, code) of each coding of a CodeableConcept or a list of them."""
    found: list[Coding] = []
    for concept in concepts if isinstance(concepts, list) else [concepts]:
        listed = concept.get("coding") if isinstance(concept, dict) else None
        for coding in listed if isinstance(listed, list) else []:
            if isinstance(coding, dict):
                found.append((_text(coding.get("system")), _text(coding.get("code"))))
    return found


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _mapped(codes: CodeMap, codings: list[Coding]) -> tuple[set[str], bool]:
    """The values the codings map to, and whether any coding is in a system the map uses."""
    values: set[str] = set()
    systems = {c.system for _, listed in codes.entries for c in listed}
    for system, code in codings:
        values.update(codes.values(system, code))
    return values, any(system in systems for system, _ in codings)


def _systems(codings: list[Coding]) -> str:
    return ", ".join(sorted({str(system) for system, _ in codings})) or "no coding"


def _patient(fact: str, source: PatientElement) -> Read:
    def read(chart: Chart, request: dict[str, Any], notes: _Notes) -> Any:
        patients = chart.of_type("Patient")
        if len(patients) != 1:
            notes.add(fact, "the chart has no Patient" if not patients else "the chart has more than one Patient")
            return None
        patient = patients[0]
        if source.element == "state":
            return _state(fact, patient, notes)
        born = patient.get("birthDate")
        value: str | int | None
        if source.element == "birthDate":
            value = _day(fact, born, "Patient.birthDate", patient, notes)
        else:
            assert source.on is not None
            value = _age(fact, born, request.get(source.on), patient, notes)
        if value is not None:
            notes.used(fact, patient)
        return value

    return read


def _state(fact: str, patient: Mapping[str, Any], notes: _Notes) -> str | None:
    addresses = patient.get("address")
    addresses = [a for a in addresses if isinstance(a, dict)] if isinstance(addresses, list) else []
    home = [a for a in addresses if a.get("use") in ("home", None)] or addresses
    states = {
        _text(a.get("state")) for a in home if not isinstance(a.get("period"), dict) or a["period"].get("end") is None
    }
    if len(states) != 1 or not isinstance(next(iter(states)), str):
        notes.add(fact, "the Patient has no single current home address with a state", patient)
        return None
    notes.used(fact, patient)
    return str(next(iter(states)))


def _age(fact: str, born: object, on: object, patient: Mapping[str, Any], notes: _Notes) -> int | None:
    """Whole years on a day; a birth date of a year or a month only gives an age when every day
    it may be gives the same."""
    day = _date(on)
    if day is None:
        notes.add(fact, "the age is counted on the date of service, which is unknown")
        return None
    if not isinstance(born, str) or not re.fullmatch(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", born[:10]):
        notes.add(fact, "Patient.birthDate is missing or not a date", patient)
        return None
    parts = [int(p) for p in born[:10].split("-")]
    try:
        first = datetime.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        last_month = parts[1] if len(parts) > 1 else 12
        last_day = parts[2] if len(parts) > 2 else _month_end(parts[0], last_month)
        last = datetime.date(parts[0], last_month, last_day)
    except ValueError:
        notes.add(fact, f"Patient.birthDate {born!r} is not a real date", patient)
        return None
    youngest, oldest = _years(last, day), _years(first, day)
    if youngest != oldest:
        notes.add(fact, f"Patient.birthDate {born!r} is too coarse to give the age on {day}", patient)
        return None
    if oldest < 0:
        notes.add(fact, f"the date of service {day} is before Patient.birthDate {born}", patient)
        return None
    return oldest


def _month_end(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def _years(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _order(fact: types.Fact, source: OrderElement) -> Read:
    name = fact.name

    def read(chart: Chart, request: dict[str, Any], notes: _Notes) -> Any:
        order = chart.order
        if order is None:
            notes.add(name, "there is no order")
            return None
        value = _order_value(fact, source, order, notes)
        if value is not None:
            notes.used(name, order)
        return value

    return read


def _order_value(fact: types.Fact, source: OrderElement, order: Mapping[str, Any], notes: _Notes) -> Any:
    name, element, kind = fact.name, source.element, order.get("resourceType")
    if element == "occurrence":
        text = order.get("occurrenceDateTime")
        if text is None and isinstance(order.get("occurrencePeriod"), dict):
            text = order["occurrencePeriod"].get("start")
        return _day(name, text, f"{kind}.occurrence", order, notes)
    if element == "authored":
        return _day(name, order.get("authoredOn"), f"{kind}.authoredOn", order, notes)
    if element in ("quantity", "supply_days"):
        return _order_amount(fact, element, order, notes)
    concepts = order.get("reasonCode") if element == "reason" else code_of(order)
    found = codings(concepts)
    if source.codes is None:  # a code fact: the one code of its system
        assert isinstance(fact.type, types.Code)
        system = SYSTEMS[fact.type.system]
        codes = {code for s, code in found if s == system and isinstance(code, str)}
        if len(codes) != 1:
            many = "no code" if not codes else "more than one code"
            notes.add(name, f"the order's {element} has {many} in {system} ({_systems(found)})", order)
            return None
        return codes.pop()
    return _one_value(name, source.codes, found, f"the order's {element}", order, notes, ordered=True)


def code_of(resource: Mapping[str, Any]) -> object:
    """What a resource is coded as: a medication's code, a device's, or the resource's own `code`."""
    kind = resource.get("resourceType")
    if kind == "MedicationRequest":
        return resource.get("medicationCodeableConcept")
    if kind == "DeviceRequest":
        return resource.get("codeCodeableConcept")
    return resource.get("code")


def _order_amount(fact: types.Fact, element: str, order: Mapping[str, Any], notes: _Notes) -> Any:
    dispense = order.get("dispenseRequest")
    dispense = dispense if isinstance(dispense, dict) else {}
    if element == "quantity":
        quantity = dispense.get("quantity") if dispense else order.get("quantityQuantity")
        value = quantity.get("value") if isinstance(quantity, dict) else None
        what = "the order's quantity"
    else:
        duration = dispense.get("expectedSupplyDuration")
        value = None
        what = "the order's expected supply duration"
        if isinstance(duration, dict):
            if duration.get("system") == UCUM and duration.get("code") == "d":
                value = duration.get("value")
            else:
                notes.add(fact.name, f"{what} is not in days (UCUM 'd')", order)
                return None
    if isinstance(value, bool) or not isinstance(value, (int, decimal.Decimal)):
        notes.add(fact.name, f"{what} is missing or not a number", order)
        return None
    return value


def _one_value(
    fact: str,
    codes: CodeMap,
    codings: list[Coding],
    what: str,
    resource: Mapping[str, Any],
    notes: _Notes,
    ordered: bool = False,
) -> str | None:
    values, known = _mapped(codes, codings)
    if len(values) == 1:
        return values.pop()
    if len(values) > 1:
        notes.add(fact, f"{what} maps to more than one value: {', '.join(sorted(values))}", resource)
        return None
    if ordered and known and codes.otherwise is not None:
        return codes.otherwise
    if not known:
        notes.add(fact, f"{what} has no code in a system the bindings know ({_systems(codings)})", resource)
    else:
        notes.add(fact, f"{what} has none of the bound codes", resource)
    return None


# -- Resources of the chart -----------------------------------------------------------------------


def _counts(resource: Mapping[str, Any]) -> bool:
    """Whether a resource states something now: an active, confirmed condition; a completed
    procedure; an active or completed medication request."""
    kind = resource.get("resourceType")
    if kind == "Condition":
        clinical = {code for system, code in codings(resource.get("clinicalStatus")) if system == _CLINICAL_STATUS}
        verification = {code for _, code in codings(resource.get("verificationStatus"))}
        return bool(clinical & ACTIVE_CONDITION) and not verification & ENDED_VERIFICATION
    if kind == "Procedure":
        return resource.get("status") == "completed"
    return _text(resource.get("status")) in MEDICATION_STATUSES


def _found(fact: types.Fact, source: Found) -> Read:
    name = fact.name

    def read(chart: Chart, request: dict[str, Any], notes: _Notes) -> Any:
        hits: dict[str, list[dict[str, Any]]] = {}
        for resource in chart.of_type(source.resource):
            if _counts(resource):
                for value in _mapped(source.codes, codings(code_of(resource)))[0]:
                    hits.setdefault(value, []).append(resource)
        for found in hits.values():
            for resource in found:
                notes.used(name, resource)
        if isinstance(fact.type, types.Boolean):
            if hits:
                return True
            return False if source.closed else _open(name, source, notes)
        if isinstance(fact.type, types.EnumSet):
            members = [value for value in fact.type.values if value in hits]
            if source.closed:
                return members
            return _open(name, source, notes, members)
        assert isinstance(fact.type, types.Enum)
        if len(hits) == 1:
            return next(iter(hits))
        if hits:
            notes.add(name, f"the chart's {source.resource} resources give {', '.join(sorted(hits))}")
            return None
        return _open(name, source, notes)

    return read


def _open(fact: str, source: Found, notes: _Notes, members: list[str] | None = None) -> None:
    found = f"it lists {', '.join(members)}, and " if members else ""
    notes.add(fact, f"{found}a chart need not list every {source.resource}: ask (or bind it `closed`)")
    return None


def _measured(fact: types.Fact, source: Measured) -> Read:
    name = fact.name

    def read(chart: Chart, request: dict[str, Any], notes: _Notes) -> Any:
        day = _date(request.get(source.before))
        if day is None:
            notes.add(name, f"the observation's window ends on {source.before}, which is unknown")
            return None
        start = day - datetime.timedelta(days=source.days)
        latest: list[tuple[datetime.date, dict[str, Any]]] = []
        for observation in chart.of_type("Observation"):
            if _text(observation.get("status")) not in FINAL_OBSERVATION:
                continue
            if not any(source.code.matches(s, c) for s, c in codings(observation.get("code"))):
                continue
            when = _date(_effective(observation))
            if when is None:
                notes.add(name, "an observation has no full effective date", observation)
            elif start <= when <= day:
                latest.append((when, observation))
        if not latest:
            notes.add(name, f"no final observation of {source.code.code} in the {source.days} days to {day}")
            return None
        newest = max(when for when, _ in latest)
        chosen = [o for when, o in latest if when == newest]
        values = {_quantity(name, source, o, notes) for o in chosen}
        if len(values) != 1 or None in values:
            if len(values) > 1 and None not in values:
                notes.add(name, f"observations of {newest} disagree: {', '.join(sorted(map(str, values)))}")
            return None
        for observation in chosen:
            notes.used(name, observation)
        return values.pop()

    return read


def _effective(observation: Mapping[str, Any]) -> object:
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in observation:
            return observation[key]
    period = observation.get("effectivePeriod")
    return period.get("start") if isinstance(period, dict) else None


def _quantity(fact: str, source: Measured, observation: Mapping[str, Any], notes: _Notes) -> Any:
    quantity = observation.get("valueQuantity")
    if not isinstance(quantity, dict):
        notes.add(fact, "the observation has no valueQuantity", observation)
        return None
    value = quantity.get("value")
    if quantity.get("system") != UCUM or quantity.get("code") != source.unit:
        unit = quantity.get("code", quantity.get("unit"))
        notes.add(fact, f"the observation is in {unit!r}, not UCUM {source.unit!r}", observation)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, decimal.Decimal)):
        notes.add(fact, "the observation's value is not a number", observation)
        return None
    return value


def _history(fact: types.Fact, source: History) -> Read:
    name = fact.name

    def read(chart: Chart, request: dict[str, Any], notes: _Notes) -> Any:
        records: list[dict[str, Any]] = []
        used = []
        for resource in chart.of_type(source.resource):
            if not _counts(resource):
                continue
            record = _record(name, source, resource, notes)
            if record is False:
                return None
            assert record is not True
            if record is not None:
                records.append(record)
                used.append(resource)
        if not source.closed:
            found = f"it lists {len(records)} record(s), and " if records else ""
            notes.add(name, f"{found}a chart need not list every {source.resource}: ask (or bind it `closed`)")
            return None
        for resource in used:
            notes.used(name, resource)
        return records

    return read


def _record(fact: str, source: History, resource: Mapping[str, Any], notes: _Notes) -> dict[str, Any] | None | bool:
    """One record, None for a resource the history does not count, False when the history cannot be read."""
    record: dict[str, Any] = {}
    for field_name, element in source.fields:
        if isinstance(element, CodeMap):
            values, _ = _mapped(element, codings(code_of(resource)))
            if not values:
                return None
            if len(values) > 1:
                notes.add(fact, f"its code maps to more than one {field_name}", resource)
                return False
            record[field_name] = values.pop()
        else:
            text = resource.get("authoredOn") if element == "authored" else resource.get("performedDateTime")
            if text is None and element == "performed" and isinstance(resource.get("performedPeriod"), dict):
                text = resource["performedPeriod"].get("start")
            day = _day(fact, text, f"{resource.get('resourceType')}.{element}", resource, notes)
            if day is None:
                return False
            record[field_name] = day
    return record
