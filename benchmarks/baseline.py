"""The floor: MP-MM-1308 decided by hand, as a careful Python developer would write it.

It validates a request per ../shared/spec/MP-MM-1308-contract.md and returns
(outcome, section, missing), nothing more: no explanation, no advisories. The
benchmarks measure the generated evaluator against it, in the same run.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping

KEYS = frozenset(
    {
        "state", "service_date", "age", "diagnosis", "achalasia_type", "failed_conventional_therapy",
        "heller_surgical_candidate", "eckardt_score", "prior_open_foregut_surgery", "contraindications",
        "prior_achalasia_therapies",
    }
)  # fmt: skip
DIAGNOSES = frozenset(
    {
        "primary_achalasia", "secondary_achalasia", "esophageal_spasm", "jackhammer_esophagus",
        "egj_outflow_obstruction", "gastroparesis", "zenker_diverticulum", "other",
    }
)  # fmt: skip
TYPES = frozenset({"I", "II", "III"})
CONTRAINDICATIONS = frozenset(
    {
        "severe_erosive_esophagitis", "significant_coagulation_disorder", "cirrhosis_with_portal_hypertension",
        "severe_pulmonary_disease", "esophageal_malignancy", "mucosa_compromising_prior_therapy",
    }
)  # fmt: skip
THERAPIES = frozenset({"pneumatic_dilation", "botulinum_toxin", "heller_myotomy"})
STATES = frozenset({"GA", "IN", "KY", "OH", "WV"})
STATE = re.compile(r"[A-Z]{2}")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EFFECTIVE = datetime.date(2025, 11, 1)
KENTUCKY_INACTIVE = datetime.date(2026, 1, 1)


class Invalid(ValueError):
    pass


def _integer(value: object, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise Invalid
    return value


def _boolean(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise Invalid


def _enum(value: object, allowed: frozenset[str]) -> str | None:
    if value is None or (isinstance(value, str) and value in allowed):
        return value
    raise Invalid


def _set(value: object, allowed: frozenset[str]) -> frozenset[str] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(set(value)) != len(value)
        or not all(isinstance(v, str) and v in allowed for v in value)
    ):
        raise Invalid
    return frozenset(value)


def decide(request: Mapping[str, object]) -> tuple[str, str, list[str]]:
    """(outcome, section, missing) for a valid request; Invalid for an invalid one."""
    if not isinstance(request, Mapping) or not KEYS.issuperset(request):
        raise Invalid
    state = request.get("state")
    if state is not None and not (isinstance(state, str) and STATE.fullmatch(state)):
        raise Invalid
    raw_date = request.get("service_date")
    service_date = None
    if raw_date is not None:
        if not isinstance(raw_date, str) or not DATE.fullmatch(raw_date):
            raise Invalid
        try:
            service_date = datetime.date.fromisoformat(raw_date)
        except ValueError:
            raise Invalid from None
    age = _integer(request.get("age"), 130)
    diagnosis = _enum(request.get("diagnosis"), DIAGNOSES)
    achalasia_type = _enum(request.get("achalasia_type"), TYPES)
    failed = _boolean(request.get("failed_conventional_therapy"))
    candidate = _boolean(request.get("heller_surgical_candidate"))
    eckardt = _integer(request.get("eckardt_score"), 12)
    open_surgery = _boolean(request.get("prior_open_foregut_surgery"))
    contraindications = _set(request.get("contraindications"), CONTRAINDICATIONS)
    _set(request.get("prior_achalasia_therapies"), THERAPIES)

    # 1. Applicability, in three-valued logic.
    if state is not None and state not in STATES:
        return "not_applicable", "applicability", []
    if service_date is not None and (service_date < EFFECTIVE or (state == "KY" and service_date >= KENTUCKY_INACTIVE)):
        return "not_applicable", "applicability", []
    if state is None or service_date is None:
        missing = [name for name, value in (("service_date", service_date), ("state", state)) if value is None]
        return "insufficient_information", "applicability", missing
    # 2. Experimental.
    if diagnosis is None:
        return "insufficient_information", "D.III", ["diagnosis"]
    if diagnosis != "primary_achalasia":
        return "experimental", "D.III", []
    # 3. Contraindications.
    if contraindications is None:
        return "insufficient_information", "D.IV", ["contraindications"]
    if contraindications:
        return "contraindicated", "D.IV", []
    # 4. Age review.
    if age is None:
        return "insufficient_information", "D.II", ["age"]
    if age <= 18:
        return "needs_review", "D.II", []
    # 5. The criteria of D.I.
    a = None if achalasia_type is None else True
    b = True if failed is True or candidate is False else (False if failed is False and candidate is True else None)
    c = None if eckardt is None else eckardt >= 3
    d = None if open_surgery is None else not open_surgery
    if False in (a, b, c, d):
        return "not_medically_necessary", "D.I", []
    if None in (a, b, c, d):
        missing = []
        if a is None:
            missing.append("achalasia_type")
        if b is None:
            pairs = (("failed_conventional_therapy", failed), ("heller_surgical_candidate", candidate))
            missing += [name for name, value in pairs if value is None]
        if c is None:
            missing.append("eckardt_score")
        if d is None:
            missing.append("prior_open_foregut_surgery")
        return "insufficient_information", "D.I", sorted(missing)
    return "medically_necessary", "D.I", []
