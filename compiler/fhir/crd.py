"""CRD: a decision as Da Vinci CRD's coverage information, and as CDS Hooks cards.

Pinned to CRD STU 2.0.1 (http://hl7.org/fhir/us/davinci-crd/STU2): its `ext-coverage-information`
extension and the invariants crd-ci-q1..q6, which `invariants` checks on everything made here.
Each outcome has a kind (declared in the bindings, or read from its name) and each kind one answer:

    approval        covered, no prior authorization needed
    denial          not covered (so pa-needed is left out: crd-ci-q2)
    review          conditional: prior authorization with clinical documentation
    unknown         conditional: clinical documentation, the questionnaire of what is missing
    not_applicable  no coverage information: the policy does not govern the order (an information card)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from compiler import __version__, jsontext
from compiler.fhir.bindings import Bindings
from compiler.targets.docs import code, md

CRD_VERSION = "2.0.1"
COVERAGE_INFORMATION = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
DETAIL_SYSTEM = "urn:policyc:coverage-detail"  # our own codes for what `detail` carries

ANSWERS: dict[str, dict[str, str]] = {
    "approval": {"covered": "covered", "pa-needed": "no-auth"},
    "denial": {"covered": "not-covered"},
    "review": {
        "covered": "conditional",
        "pa-needed": "auth-needed",
        "doc-needed": "clinical",
        "doc-purpose": "withpa",
        "info-needed": "OTH",
    },
    "unknown": {
        "covered": "conditional",
        "pa-needed": "conditional",
        "doc-needed": "clinical",
        "doc-purpose": "withpa",
        "info-needed": "OTH",
    },
}


def assertion_id(policy_sha256: str, request: Mapping[str, Any]) -> str:
    """The same policy and facts give the same id: an appeal can reproduce the decision behind it."""
    text = policy_sha256 + jsontext.dumps(dict(sorted(request.items())))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def coverage_information(
    bindings: Bindings,
    decision: Mapping[str, Any],
    request: Mapping[str, Any],
    coverage: str,
    today: str,
    billing: tuple[str, str] | None,
    questionnaire: str | None,
) -> dict[str, Any] | None:
    """The extension for one decision (its `to_dict()`), or None for an outcome of kind not_applicable."""
    kind = bindings.kind(decision["outcome"])
    answer = ANSWERS.get(kind)
    if answer is None:
        return None
    parts: list[dict[str, Any]] = [{"url": "coverage", "valueReference": {"reference": coverage}}]
    parts += [{"url": key, "valueCode": code} for key, code in answer.items()]
    if kind in ("review", "unknown", "denial"):
        parts.append({"url": "reason", "valueCodeableConcept": {"text": _reason(kind, decision)}})
    if kind == "unknown" and questionnaire is not None:
        parts.append({"url": "questionnaire", "valueCanonical": questionnaire})
    if billing is not None:
        parts.append({"url": "billingCode", "valueCoding": {"system": billing[0], "code": billing[1]}})
    parts.append({"url": "date", "valueDate": today})
    parts.append({"url": "coverage-assertion-id", "valueString": assertion_id(decision["source_sha256"], request)})
    for detail, value in (
        ("policy", f"{decision['policy']} effective {decision['effective_date']}"),
        ("policy-source-sha256", decision["source_sha256"]),
        ("outcome", f"{decision['outcome']} ({', '.join(decision['sections'])})"),
        ("compiler", f"policyc {__version__}"),
    ):
        category = {"coding": [{"system": DETAIL_SYSTEM, "code": detail}]}
        parts.append(
            {
                "url": "detail",
                "extension": [
                    {"url": "category", "valueCodeableConcept": category},
                    {"url": "value", "valueString": value},
                ],
            }
        )
    return {"url": COVERAGE_INFORMATION, "extension": parts}


def _reason(kind: str, decision: Mapping[str, Any]) -> str:
    if kind == "unknown":
        asked = ", ".join(item["fact"] for item in decision["requested_information"])
        return f"{decision['description']} Answer: {asked}."
    return f"{decision['description']} ({', '.join(decision['sections'])})"


def invariants(extension: Mapping[str, Any]) -> list[str]:
    """The constraints of CRD 2.0.1's coverage information that an extension breaks, by their ids."""
    values: dict[str, list[Any]] = {}
    for part in extension.get("extension", []):
        value = next((v for k, v in part.items() if k.startswith("value")), part.get("extension"))
        values.setdefault(part["url"], []).append(value)
    one = {key: found[0] for key, found in values.items() if len(found) == 1}
    broken = []
    if "questionnaire" in values and "doc-needed" not in values:
        broken.append("crd-ci-q1")
    if one.get("covered") == "not-covered" and "pa-needed" in values:
        broken.append("crd-ci-q2")
    conditional = any(one.get(key) == "conditional" for key in ("covered", "pa-needed", "doc-needed"))
    if conditional != ("info-needed" in values):
        broken.append("crd-ci-q3")
    if one.get("pa-needed") == "satisfied" and one.get("doc-purpose") == "withpa":
        broken.append("crd-ci-q4")
    if (one.get("pa-needed") == "satisfied") != ("satisfied-pa-id" in values):
        broken.append("crd-ci-q5")
    if one.get("info-needed") == "OTH" and "reason" not in values:
        broken.append("crd-ci-q6")
    for key in ("coverage", "coverage-assertion-id"):  # 1..1 in the extension's definition
        if len(values.get(key, [])) != 1:
            broken.append(f"{key} 1..1")
    return broken


def cards(
    bindings: Bindings,
    decision: Mapping[str, Any],
    policy_url: str | None = None,
    notes: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The CDS Hooks cards of a decision: what it decided, what it still needs (with why the chart or
    the answers left each unknown, and a link to the questionnaire of just those), and each advisory.
    A card's detail is Markdown: the policy's and the chart's text in it is escaped, never markup."""
    kind = bindings.kind(decision["outcome"])
    source: dict[str, Any] = {"label": f"{decision['policy']} (policyc {__version__})"}
    if policy_url:
        source["url"] = policy_url
    requested = decision["requested_information"]
    lines = [md(decision["description"]), "", f"Sections: {md(', '.join(decision['sections']))}."]
    if requested:
        lines += ["", "Still needed:", *(f"- {code(i['fact'])}: {md(i['description'])}" for i in requested)]
    needed = {item["fact"] for item in requested}
    unread = [n for n in notes if fact_of(n["fact"]) in needed]
    if unread:
        lines += ["", "Left unknown:"]
        lines += [
            f"- {code(n['fact'])}: {md(n['message'])}" + (f" ({md(n['resource'])})" if n["resource"] else "")
            for n in unread
        ]
    card: dict[str, Any] = {
        "uuid": _uuid(decision, "decision"),
        "summary": f"{decision['policy']}: {decision['outcome'].replace('_', ' ')}"[:140],
        "indicator": "info" if kind in ("approval", "not_applicable") else "warning",
        "detail": "\n".join(lines),
        "source": source,
    }
    if requested and policy_url:
        missing = ",".join(item["fact"] for item in requested)
        card["links"] = [
            {
                "label": "Answer the questionnaire (DTR)",
                "type": "absolute",
                "url": f"{policy_url}/questionnaire?missing={missing}",
            }
        ]
    advisories = [
        {
            "uuid": _uuid(decision, advisory["section"]),
            "summary": f"{decision['policy']} {advisory['section']}: advisory"[:140],
            "indicator": "info",
            "detail": md(advisory["wording"]),
            "source": source,
        }
        for advisory in decision["advisories"]
    ]
    return [card, *advisories]


def fact_of(field: str) -> str:
    """The fact an error or note names: `prior_services[0].date` is about `prior_services`."""
    return re.split(r"[.\[]", field, maxsplit=1)[0]


def _uuid(decision: Mapping[str, Any], part: str) -> str:
    digest = hashlib.sha256(f"{decision.get('assertion_id')}|{decision['outcome']}|{part}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
