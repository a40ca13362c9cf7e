"""FHIR bindings: where each fact of a policy comes from in a FHIR R4 chart.

A bindings file sits beside its policy, one per EHR profile (`policies/MP-MM-1308.us-core.bindings`):

    bindings "MP-MM-1308" profile "us-core" {
        service_date: order.occurrence
        age: patient.age on service_date
        diagnosis: order.reason { primary_achalasia: ICD10CM "K22.0" else: other }
        eckardt_score: ask
    }

Every fact is bound, `ask` naming those only a person can answer. This module reads the file
(grammar/bindings.lark) into typed nodes and checks them against the checked policy; the
extractor, the FHIRPath strings and the questionnaire are made from the result.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from compiler import model, read_source
from compiler.check.report import suggest
from compiler.diagnostics import Diagnostic, Span, error
from compiler.model import types
from compiler.syntax.parse import syntax_error
from compiler.syntax.transform import span_of

_HERE = Path(__file__).resolve().parent
_GRAMMAR_PATHS = (_HERE.parents[1] / "grammar" / "bindings.lark", _HERE / "bindings.lark")

# The code systems a binding may name, by the names policies give them.
SYSTEMS = {
    "CPT": "http://www.ama-assn.org/go/cpt",
    "HCPCS": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10PCS": "http://www.cms.gov/Medicare/Coding/ICD10",
    "LOINC": "http://loinc.org",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "SNOMED": "http://snomed.info/sct",
}
UCUM = "http://unitsofmeasure.org"
Coding = tuple[str | None, str | None]  # (system, code) of a FHIR coding; None where it has none
KINDS = model.OUTCOME_KINDS  # how CRD reports an outcome

# What each resource kind reads, and the FHIR resource type behind it.
RESOURCE_TYPES = {"condition": "Condition", "procedure": "Procedure", "medication": "MedicationRequest"}
PATIENT_ELEMENTS = ("birthDate", "age", "state")
ORDER_ELEMENTS = ("occurrence", "authored", "code", "reason", "quantity", "supply_days")
HISTORY_ELEMENTS = {"Procedure": ("performed",), "MedicationRequest": ("authored",)}


@dataclass(frozen=True)
class Code:
    system: str  # the system's URI
    code: str
    prefix: bool  # written with a trailing '*': every code that starts with it
    span: Span = field(compare=False, repr=False)

    def matches(self, system: object, code: object) -> bool:
        if system != self.system or not isinstance(code, str):
            return False
        return code.startswith(self.code) if self.prefix else code == self.code


@dataclass(frozen=True)
class CodeMap:
    """Codes to the values of an enum, set or record field; `otherwise` for a code of a known system
    that no entry lists."""

    entries: tuple[tuple[str, tuple[Code, ...]], ...]
    otherwise: str | None
    span: Span = field(compare=False, repr=False)

    def values(self, system: object, code: object) -> list[str]:
        return [value for value, codes in self.entries if any(c.matches(system, code) for c in codes)]


@dataclass(frozen=True)
class Ask:
    """Only a person can answer: the questionnaire asks it."""


@dataclass(frozen=True)
class PatientElement:
    element: str  # birthDate, age (whole years on the date fact `on`) or state (of the home address)
    on: str | None


@dataclass(frozen=True)
class OrderElement:
    element: str  # of the order being placed (ServiceRequest, MedicationRequest or DeviceRequest)
    codes: CodeMap | None


@dataclass(frozen=True)
class Found:
    """Resources of the chart with one of the codes: a flag, a set's members or an enum's value."""

    resource: str  # a FHIR resource type
    codes: CodeMap  # a flag's codes are one entry named after the fact
    closed: bool  # the chart is taken as complete: no resource means false, or an empty set


@dataclass(frozen=True)
class Measured:
    """The latest final Observation with the code and unit, within `days` before the date fact `before`."""

    code: Code
    unit: str  # a UCUM code
    days: int
    before: str


@dataclass(frozen=True)
class History:
    resource: str
    fields: tuple[tuple[str, str | CodeMap], ...]  # each field: an element, or the resource's code mapped
    closed: bool


Source = Ask | PatientElement | OrderElement | Found | Measured | History


@dataclass(frozen=True)
class Binding:
    fact: str
    source: Source
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True)
class Bindings:
    policy_id: str
    profile: str
    orders: tuple[Code, ...]  # the orders the policy governs (empty: every order)
    source_name: str
    sha256: str
    bindings: tuple[Binding, ...]  # in the policy's order of facts
    kinds: tuple[tuple[str, str], ...]  # each outcome's kind (KINDS), for CRD: declared, or by default

    def kind(self, outcome: str) -> str:
        return dict(self.kinds)[outcome]

    def governs(self, codings: list[Coding]) -> bool:
        """Whether the policy governs an order with these codes: every order, unless `orders` lists some."""
        return not self.orders or any(o.matches(*coding) for coding in codings for o in self.orders)

    def billing_code(self, policy: model.Policy, codings: list[Coding]) -> tuple[str, str] | None:
        """The order's code that names what is billed: one `orders` lists, or one in a code set of the policy."""
        for system, code in codings:
            if not isinstance(system, str) or not isinstance(code, str):
                continue
            listed = any(o.matches(system, code) for o in self.orders)
            if listed or any(SYSTEMS.get(s.system) == system and code in s for s in policy.codesets):
                return system, code
        return None

    def of(self, fact: str) -> Binding:
        return next(b for b in self.bindings if b.fact == fact)

    @property
    def asked(self) -> tuple[str, ...]:
        return tuple(b.fact for b in self.bindings if isinstance(b.source, Ask))


@functools.cache
def _parser() -> Lark:
    path = next(p for p in _GRAMMAR_PATHS if p.exists())
    # As the policy grammar's: strict (a collision of terminals is an error), its tables cached on disk.
    options = {"propagate_positions": True, "maybe_placeholders": True, "strict": True, "cache": True}
    return Lark(path.read_text(encoding="utf-8"), parser="lalr", lexer="contextual", **options)


def find(policy_path: Path) -> list[Path]:
    """The bindings files beside a policy: X.PROFILE.bindings for X.policy."""
    stem = policy_path.name.removesuffix(".policy")
    return sorted(policy_path.parent.glob(f"{stem}.*.bindings"))


def load(path: Path, policy: model.Policy, name: str | None = None) -> tuple[Bindings | None, list[Diagnostic], str]:
    """Read and check one bindings file against its policy: the bindings (None on errors), diagnostics, text."""
    name = name or str(path)
    text, problems = read_source(path, name)
    if text is None:
        return None, problems, ""
    bindings, diagnostics = read(text, name, policy)
    return bindings, diagnostics, text


def read(text: str, file: str, policy: model.Policy) -> tuple[Bindings | None, list[Diagnostic]]:
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        return None, [syntax_error(exc, text, file)]
    checker = _Checker(file, policy)
    bindings = checker.start(tree, hashlib.sha256(text.encode("utf-8")).hexdigest())
    return (None if checker.diagnostics else bindings), checker.diagnostics


class _Checker:
    """Reads the parse tree into nodes and checks each against the policy's declarations, reporting every
    error at once."""

    def __init__(self, file: str, policy: model.Policy) -> None:
        self.file = file
        self.policy = policy
        self.facts = {f.name: f for f in policy.facts}
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, where: Token | Tree[Token] | Span, hint: str | None = None) -> None:
        span = where if isinstance(where, Span) else self.span(where)
        self.diagnostics.append(error(code, message, span, hint))

    def span(self, item: Token | Tree[Token]) -> Span:
        return span_of(self.file, item.meta if isinstance(item, Tree) else item)

    def start(self, tree: Tree[Token], sha256: str) -> Bindings:
        policy_id, profile, orders, *items, kinds = tree.children
        assert isinstance(policy_id, Token) and isinstance(profile, Token)
        if policy_id[1:-1] != self.policy.policy_id:
            self.error("E1001", f"these bindings are for '{policy_id[1:-1]}', not '{self.policy.policy_id}'", policy_id)
        found: dict[str, Binding] = {}
        written: set[str] = set()  # bound, rightly or not: a bad binding is not also a missing one
        for item in items:
            assert isinstance(item, Tree)
            name = item.children[0]
            assert isinstance(name, Token)
            if name in written:
                self.error("E1003", f"fact '{name}' is bound twice", name)
            written.add(str(name))
            binding = self.binding(item)
            if binding is not None:
                found.setdefault(binding.fact, binding)
        missing = [name for name in self.facts if name not in written]
        if missing:
            listed = ", ".join(f"'{name}'" for name in missing)
            hint = f"write `{missing[0]}: ask` for a fact only a person can answer"
            self.error("E1002", f"no binding for fact(s) {listed}", policy_id, hint)
        ordered = tuple(found[name] for name in self.facts if name in found)
        governed = self.codes(orders) if isinstance(orders, Tree) else ()
        declared = self.outcomes(kinds) if isinstance(kinds, Tree) else {}
        outcomes = [o.name for o in self.policy.outcomes]
        mapped = tuple((name, declared.get(name) or self.policy.outcome_kind(name)) for name in outcomes)
        return Bindings(self.policy.policy_id, profile[1:-1], governed, Path(self.file).name, sha256, ordered, mapped)

    def outcomes(self, tree: Tree[Token]) -> dict[str, str]:
        names = [o.name for o in self.policy.outcomes]
        found: dict[str, str] = {}
        for item in tree.children:
            assert isinstance(item, Tree)
            name, kind = item.children
            assert isinstance(name, Token) and isinstance(kind, Token)
            if name not in names:
                self.error("E1004", f"outcome '{name}' is not declared in the policy", name, suggest(name, names))
            elif kind not in KINDS:
                self.error("E1005", f"'{kind}' is not a kind of outcome", kind, _choices(KINDS))
            else:
                found[str(name)] = str(kind)
        return found

    def binding(self, tree: Tree[Token]) -> Binding | None:
        name, source = tree.children
        assert isinstance(name, Token) and isinstance(source, Tree)
        fact = self.facts.get(str(name))
        if fact is None:
            self.error("E1004", f"fact '{name}' is not declared in the policy", name, suggest(name, self.facts))
            return None
        made = getattr(self, f"_{source.data}")(fact, source)
        return None if made is None else Binding(fact.name, made, self.span(tree))

    # -- Each kind of source, checked against the type of its fact ------------------------------

    def _ask(self, fact: types.Fact, tree: Tree[Token]) -> Source:
        return Ask()

    def _patient(self, fact: types.Fact, tree: Tree[Token]) -> Source | None:
        element, on = tree.children
        assert isinstance(element, Token)
        wanted = {"birthDate": types.Date, "age": types.Integer, "state": types.String}.get(str(element))
        if wanted is None:
            self.error("E1005", f"the patient has no element '{element}'", element, _choices(PATIENT_ELEMENTS))
            return None
        if not self.fits(fact, tree, f"patient.{element}", wanted):
            return None
        if (element == "age") != (on is not None):
            self.error("E1006", "an age is counted on a date: write `patient.age on DATE_FACT`", tree)
            return None
        if isinstance(on, Token) and not self.is_date(on):
            return None
        return PatientElement(str(element), None if on is None else str(on))

    def _order(self, fact: types.Fact, tree: Tree[Token]) -> Source | None:
        element, mapping = tree.children
        assert isinstance(element, Token)
        if element not in ORDER_ELEMENTS:
            self.error("E1005", f"the order has no element '{element}'", element, _choices(ORDER_ELEMENTS))
            return None
        coded = element in ("code", "reason")
        if isinstance(mapping, Tree):
            if not coded:
                self.error("E1006", f"the order's {element} is not coded: it takes no codes", mapping)
                return None
            codes = self.code_map(fact.type, mapping, otherwise=True)
            return None if codes is None else OrderElement(str(element), codes)
        wanted: tuple[type, ...] = {
            "occurrence": (types.Date,),
            "authored": (types.Date,),
            "code": (types.Code,),
            "reason": (types.Code,),
            "quantity": (types.Integer, types.Decimal),
            "supply_days": (types.Integer,),
        }[str(element)]
        if not self.fits(fact, tree, f"order.{element}", *wanted):
            return None
        if coded:  # a code fact: the codes of its system, as the order writes them
            assert isinstance(fact.type, types.Code)
            if fact.type.system not in SYSTEMS:
                self.error("E1007", f"code system '{fact.type.system}' has no FHIR URI here", tree, _choices(SYSTEMS))
                return None
        return OrderElement(str(element), None)

    def _found(self, fact: types.Fact, tree: Tree[Token]) -> Source | None:
        resource, codes, closed = tree.children
        assert isinstance(resource, Tree) and isinstance(codes, Tree)
        kind = RESOURCE_TYPES[str(resource.children[0])]
        if codes.data == "code_list":
            if not self.fits(fact, tree, f"{resource.children[0]} with these codes", types.Boolean):
                return None
            listed = self.codes(codes)
            mapping = CodeMap(((fact.name, listed),), None, self.span(codes))
        else:
            if not self.fits(fact, tree, f"{resource.children[0]} codes mapped to values", types.Enum, types.EnumSet):
                return None
            made = self.code_map(fact.type, codes, otherwise=False)
            if made is None:
                return None
            mapping = made
        return Found(kind, mapping, closed is not None)

    def _observation(self, fact: types.Fact, tree: Tree[Token]) -> Source | None:
        code, unit, days, before = tree.children
        assert isinstance(code, Tree) and isinstance(unit, Token) and isinstance(days, Token)
        assert isinstance(before, Token)
        if not self.fits(fact, tree, "an observation's value", types.Integer, types.Decimal):
            return None
        made = self.code(code)
        if made is None or not self.is_date(before):
            return None
        if int(days) < 1:
            self.error("E1006", "the window is at least 1 day", days)
            return None
        return Measured(made, unit[1:-1], int(days), str(before))

    def _history(self, fact: types.Fact, tree: Tree[Token]) -> Source | None:
        resource, *items, closed = tree.children
        assert isinstance(resource, Tree)
        if not self.fits(fact, tree, "a history of resources", types.RecordList):
            return None
        assert isinstance(fact.type, types.RecordList)
        kind = RESOURCE_TYPES[str(resource.children[0])]
        record = {f.name: f for f in fact.type.fields}
        fields: list[tuple[str, str | CodeMap]] = []
        for item in items:
            assert isinstance(item, Tree)
            name, value = item.children
            assert isinstance(name, Token)
            declared = record.get(str(name))
            if declared is None:
                self.error("E1004", f"the records of '{fact.name}' have no field '{name}'", name, suggest(name, record))
                continue
            if isinstance(value, Token):
                elements = HISTORY_ELEMENTS[kind]
                if value not in elements:
                    self.error("E1005", f"a {kind}'s date here is one of {', '.join(elements)}", value)
                elif not isinstance(declared.type, types.Date):
                    self.error("E1006", f"field '{name}' is not a date", value)
                else:
                    fields.append((str(name), str(value)))
            elif not isinstance(declared.type, types.Enum):
                self.error("E1006", f"field '{name}' is not an enum: it takes no codes", value)
            else:
                made = self.code_map(declared.type, value, otherwise=False)
                if made is not None:
                    fields.append((str(name), made))
        unbound = [name for name in record if name not in {n for n, _ in fields}]
        if unbound:
            hint = f"a chart cannot give every field: bind `{fact.name}: ask` instead"
            self.error("E1006", f"field(s) {', '.join(unbound)} of '{fact.name}' have no source", tree, hint)
            return None
        return History(kind, tuple(fields), closed is not None)

    # -- Codes ----------------------------------------------------------------------------------

    def code_map(self, declared: object, tree: Tree[Token], otherwise: bool) -> CodeMap | None:
        *entries, rest = tree.children
        values = declared.values if isinstance(declared, (types.Enum, types.EnumSet)) else ()
        if not values:
            self.error("E1006", "codes map onto an enum or set of values", tree)
            return None
        mapped: list[tuple[str, tuple[Code, ...]]] = []
        seen: dict[tuple[str, str], str] = {}
        for entry in entries:
            assert isinstance(entry, Tree)
            name, listed = entry.children
            assert isinstance(name, Token) and isinstance(listed, Tree)
            if name not in values:
                self.error("E1005", f"'{name}' is not one of the values", name, suggest(name, values))
                continue
            codes = self.codes(listed)
            for code in codes:
                key = (code.system, code.code)
                if key in seen and seen[key] != name:
                    self.error("E1008", f"code '{code.code}' maps to both '{seen[key]}' and '{name}'", code.span)
                seen[key] = str(name)
            mapped.append((str(name), codes))
        kept = None
        if isinstance(rest, Tree):
            value = rest.children[0]
            assert isinstance(value, Token)
            if not otherwise or not isinstance(declared, types.Enum):
                hint = "it gives the value of the order's other codes, so it is for an enum read from the order"
                self.error("E1006", "`else` is not allowed here", rest, hint)
            elif value not in values:
                self.error("E1005", f"'{value}' is not one of the values", value, suggest(value, values))
            else:
                kept = str(value)
        return CodeMap(tuple(mapped), kept, self.span(tree))

    def codes(self, tree: Tree[Token]) -> tuple[Code, ...]:
        made = [self.code(item) for item in tree.children if isinstance(item, Tree)]
        return tuple(code for code in made if code is not None)

    def code(self, tree: Tree[Token]) -> Code | None:
        system, value = tree.children
        assert isinstance(system, Token) and isinstance(value, Token)
        uri = SYSTEMS.get(str(system))
        if uri is None:
            self.error("E1007", f"unknown code system '{system}'", system, _choices(SYSTEMS))
            return None
        text = value[1:-1]
        if not text or text == "*" or "*" in text[:-1]:
            self.error("E1008", "a code is its text, or a prefix ending in one '*'", value)
            return None
        return Code(uri, text.removesuffix("*"), text.endswith("*"), self.span(value))

    # -- Types --------------------------------------------------------------------------------

    def fits(self, fact: types.Fact, tree: Tree[Token], what: str, *wanted: type) -> bool:
        if isinstance(fact.type, wanted):
            return True
        kinds = " or ".join(_kind(w) for w in wanted)
        self.error("E1006", f"{what} gives {kinds}; fact '{fact.name}' is {_kind(type(fact.type))}", tree)
        return False

    def is_date(self, name: Token) -> bool:
        fact = self.facts.get(str(name))
        if fact is None or not isinstance(fact.type, types.Date):
            dates = [f.name for f in self.facts.values() if isinstance(f.type, types.Date)]
            self.error("E1006", f"'{name}' is not a date fact", name, suggest(name, dates))
            return False
        return True


def _kind(kind: type) -> str:
    return {
        types.Boolean: "a flag",
        types.Integer: "a whole number",
        types.Decimal: "a number",
        types.Enum: "one value",
        types.EnumSet: "a set of values",
        types.Date: "a date",
        types.String: "a text",
        types.Code: "a code",
        types.Codes: "a set of codes",
        types.RecordList: "a history",
    }.get(kind, kind.__name__.lower())


def _choices(names: Iterable[str]) -> str:
    return "one of: " + ", ".join(sorted(names))
