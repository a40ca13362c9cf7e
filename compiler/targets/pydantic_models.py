"""The pydantic target: `model.Policy` -> pydantic v2 models of the request and the decision.

For services built on FastAPI and the like. The models validate exactly as the
generated evaluator does, and their own `model_json_schema()` accepts exactly
what the emitted JSON Schema accepts. Values are checked by small validators
(not pydantic's regex engine, whose dialect differs) so every validator means
the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import compiler
from compiler import model
from compiler.targets import python, schema
from compiler.targets.templating import TEMPLATES, WIDTH, doc_line, literal


def emit(policy: model.Policy) -> dict[PurePosixPath, str]:
    path = PurePosixPath("models") / f"{python.module_name(policy.policy_id)}.py"
    return {path: render(policy)}


@dataclass(frozen=True)
class _Alias:
    """A module-level type alias: `name = code`."""

    name: str
    code: str


def literal_type(values: tuple[str, ...], indent: int = 0) -> str:
    flat = f"Literal[{', '.join(repr(v) for v in values)}]"
    if indent + len(flat) <= WIDTH:
        return flat
    inner = " " * (indent + 4)
    return "Literal[\n" + "".join(f"{inner}{v!r},\n" for v in values) + " " * indent + "]"


def annotated(*parts: str) -> str:
    """`Annotated[...]` on one line, or one part a line when that is too long."""
    flat = f"Annotated[{', '.join(parts)}]"
    if len(flat) <= WIDTH - 30:  # room for the alias name
        return flat
    return "Annotated[\n" + "".join(f"    {part},\n" for part in parts) + "]"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def value_aliases(fact: model.Fact) -> list[_Alias]:
    """The type of a request field's value (before `| None`), as one or two aliases."""
    t, name = fact.type, f"{_camel(fact.name)}Value"
    if isinstance(t, model.Boolean):
        return [_Alias(name, "StrictBool")]
    if isinstance(t, model.Integer):
        return [_Alias(name, annotated("StrictInt", f"Field(ge={t.low}, le={t.high})", "BeforeValidator(_integral)"))]
    if isinstance(t, model.Decimal):
        low, high = schema.json_number(t.low), schema.json_number(t.high)
        bounds = f"Field(ge=Decimal({str(t.low)!r}), le=Decimal({str(t.high)!r}))"
        # the JSON Schema of a number, as the emitted schema has it (pydantic's own for Decimal admits strings)
        exact = {"type": "number", "minimum": low, "maximum": high, "not": schema.not_nan(low)}
        items = "".join(f"            {key!r}: {value!r},\n" for key, value in exact.items())
        with_schema = f"WithJsonSchema(\n        {{\n{items}        }}\n    )"  # a part a line, inside annotated()
        return [_Alias(name, annotated("Decimal", "BeforeValidator(_number)", bounds, with_schema))]
    if isinstance(t, (model.Code, model.Codes)):
        pattern = model.CODE_SYSTEMS[t.system][0]
        check = f"AfterValidator(_matching({literal(pattern)}))"
        extra = f"Field(json_schema_extra={{'pattern': {literal(schema.anchored(pattern))}}})"
        code_name = f"{_camel(fact.name)}Code" if isinstance(t, model.Codes) else name
        code = _Alias(code_name, annotated("StrictStr", check, extra))
        if isinstance(t, model.Code):
            return [code]
        unique = "Field(json_schema_extra={'uniqueItems': True})"
        return [code, _Alias(name, annotated(f"list[{code.name}]", "AfterValidator(_unique)", unique))]
    if isinstance(t, model.Enum):
        return [_Alias(name, literal_type(t.values))]
    if isinstance(t, model.EnumSet):
        item = f"{_camel(fact.name)}Item"
        unique = "Field(json_schema_extra={'uniqueItems': True})"
        return [
            _Alias(item, literal_type(t.values)),
            _Alias(name, annotated(f"list[{item}]", "AfterValidator(_unique)", unique)),
        ]
    if isinstance(t, model.Date):
        extra = f"Field(json_schema_extra={ {'format': 'date', 'pattern': schema.DATE_PATTERN}!r})"
        return [_Alias(name, annotated("StrictStr", "AfterValidator(_real_date)", extra))]
    if isinstance(t, model.String):
        if t.pattern is None:
            return [_Alias(name, "StrictStr")]
        check = f"AfterValidator(_matching({literal(t.pattern)}))"
        extra = f"Field(json_schema_extra={{'pattern': {literal(schema.anchored(t.pattern))}}})"
        return [_Alias(name, annotated("StrictStr", check, extra))]
    raise TypeError(f"unhandled fact type {type(t).__name__}")


def render(policy: model.Policy) -> str:
    template = TEMPLATES.get_template("models.py.j2")
    aliases = {fact.name: value_aliases(fact) for fact in policy.facts}
    return template.render(
        policy=policy,
        version=compiler.__version__,
        aliases=aliases,
        alias_code="\n".join(alias.code for found in aliases.values() for alias in found),  # what to import
        kinds={fact.type.kind for fact in policy.facts},
        value_name=lambda fact: f"{_camel(fact.name)}Value",
        literal_type=literal_type,
        request_id=schema.schema_id(policy, "request"),
        decision_id=schema.schema_id(policy, "decision"),
        labels=tuple(schema.section_labels(policy)),
        effective_dates=tuple(schema.effective_dates(policy)),
        fact_names=tuple(f.name for f in policy.facts) + tuple(v.name for v in policy.computed),
        outcome_names=tuple(o.name for o in policy.outcomes),
        doc_line=doc_line,
    )
