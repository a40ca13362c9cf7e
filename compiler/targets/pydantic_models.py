"""The pydantic target: `model.Policy` -> pydantic v2 models of the request and the decision.

For services built on FastAPI and the like. The models validate exactly as the
generated evaluator does, and their own `model_json_schema()` accepts exactly
what the emitted JSON Schema accepts. Values are checked by small validators
(not pydantic's regex engine, whose dialect differs) so every validator means
the same thing.
"""

from __future__ import annotations

import dataclasses
import decimal
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import assert_never

import compiler
from compiler import contract, model
from compiler.contract import DATE_PATTERN, Shape
from compiler.targets.shared import Built, Files, module_name, schema_id
from compiler.targets.templating import TEMPLATES, WIDTH, doc_line, literal


def emit(policy: model.Policy, built: Built) -> Files:
    path = PurePosixPath("models") / f"{module_name(policy.policy_id)}.py"
    return {path: render(policy)}


@dataclass(frozen=True)
class _Alias:
    """A module-level type alias: `name = code`."""

    name: str
    code: str
    record: bool = False  # `code` is the body of a class of that name: one record of a list


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


def value_aliases(field: contract.Field) -> list[_Alias]:
    """The type of a request field's value (before `| None`), as one or two aliases."""
    name = f"{_camel(field.name)}Value"
    if field.shape is Shape.RECORDS:  # each field's alias, the record's class, then the list's alias
        found: list[_Alias] = []
        doc = f'    """One record of `{field.name}`; a field absent or null is unknown."""'
        lines = [doc, "", '    model_config = ConfigDict(extra="forbid")']
        for f in field.fields:
            aliases = value_aliases(dataclasses.replace(f, name=f"{field.name}_{f.name}"))
            found += aliases
            absent = " | Absent" if f.absent else ""
            lines += ["", f"    {f.name}: {aliases[-1].name}{absent} | None = Field(", "        default=None,"]
            lines += [f"        description={literal(f.description, 8)},"] if f.description else []
            lines.append("    )")
        record = _Alias(field.record_class, "\n".join(lines), record=True)
        return [*found, record, _Alias(name, f"list[{field.record_class}]")]
    if field.many:  # a list of distinct items: the item's alias, then the list's
        item = _Alias(f"{_camel(field.name)}{'Code' if field.code_system else 'Item'}", _item_type(field))
        unique = "Field(json_schema_extra={'uniqueItems': True})"
        return [item, _Alias(name, annotated(f"list[{item.name}]", "AfterValidator(_unique)", unique))]
    return [_Alias(name, _item_type(field))]


def _item_type(field: contract.Field) -> str:
    """The type of a known value, or of an item of a list."""
    shape = field.shape
    if shape is Shape.BOOLEAN:
        return "StrictBool"
    if shape is Shape.INTEGER:
        return annotated("StrictInt", f"Field(ge={field.minimum}, le={field.maximum})", "BeforeValidator(_integral)")
    if shape is Shape.DECIMAL:
        assert isinstance(field.minimum, decimal.Decimal) and isinstance(field.maximum, decimal.Decimal)
        bounds = f"Field(ge=Decimal({str(field.minimum)!r}), le=Decimal({str(field.maximum)!r}))"
        # the JSON Schema of a number, as the emitted schema has it (pydantic's own for Decimal admits strings)
        items = "".join(f"            {key!r}: {value!r},\n" for key, value in contract.value_schema(field).items())
        with_schema = f"WithJsonSchema(\n        {{\n{items}        }}\n    )"  # a part a line, inside annotated()
        return annotated("Decimal", "BeforeValidator(_number)", bounds, with_schema)
    if shape is Shape.ENUM or shape is Shape.SET:
        return literal_type(field.values)
    if shape is Shape.DATE:
        extra = f"Field(json_schema_extra={ {'format': 'date', 'pattern': contract.anchored(DATE_PATTERN)}!r})"
        return annotated("StrictStr", "AfterValidator(_real_date)", extra)
    if shape is Shape.CODE or shape is Shape.CODES or shape is Shape.STRING:
        if field.pattern is None:
            return "StrictStr"
        check = f"AfterValidator(_matching({literal(field.pattern)}))"
        extra = f"Field(json_schema_extra={{'pattern': {literal(contract.anchored(field.pattern))}}})"
        return annotated("StrictStr", check, extra)
    if shape is Shape.RECORDS:
        raise ValueError("a list of records has no item type of its own: see value_aliases")
    assert_never(shape)


def render(policy: model.Policy) -> str:
    template = TEMPLATES.get_template("models.py.j2")
    fields = contract.request(policy)
    spec = contract.decision(policy)
    aliases = {field.name: value_aliases(field) for field in fields}
    return template.render(
        policy=policy,
        version=compiler.__version__,
        aliases=aliases,
        alias_code="\n".join(alias.code for found in aliases.values() for alias in found),  # what to import
        kinds={f.shape.value for field in fields for f in (field, *field.fields)},
        absent=any(f.absent for field in fields for f in (field, *field.fields)),
        value_name=lambda fact: f"{_camel(fact.name)}Value",
        literal_type=literal_type,
        request_id=schema_id(policy.policy_id, "request"),
        decision_id=schema_id(policy.policy_id, "decision"),
        labels=spec.sections,
        effective_dates=spec.effective_dates,
        fact_names=spec.explained,
        outcome_names=tuple(o.name for o in spec.outcomes),
        doc_line=doc_line,
    )
