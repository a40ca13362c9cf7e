"""The contract: one description of each fact that every JSON-facing target reads."""

from __future__ import annotations

import decimal
import typing

import pytest

from compiler import contract, model
from compiler.contract import Shape
from compiler.targets import docs, pydantic_models
from compiler.targets.python.requests import fact_code

ONE_OF_EACH: dict[Shape, model.FactType] = {
    Shape.BOOLEAN: model.Boolean(),
    Shape.INTEGER: model.Integer(0, 120, "years"),
    Shape.DECIMAL: model.Decimal(decimal.Decimal("1.0"), decimal.Decimal("2.5"), "m"),
    Shape.CODE: model.Code("CPT"),
    Shape.CODES: model.Codes("ICD10CM"),
    Shape.ENUM: model.Enum(("a", "b"), ("A", None)),
    Shape.SET: model.EnumSet(("x", "y"), (None, None)),
    Shape.DATE: model.Date(),
    Shape.STRING: model.String("[A-Z]{2}"),
    Shape.RECORDS: model.RecordList(
        (model.RecordField("date", model.Date(), "When."), model.RecordField("kind", model.Enum(("a",), (None,)), None))
    ),
}


def test_every_fact_type_has_a_shape_and_every_shape_a_fact_type() -> None:
    assert set(ONE_OF_EACH) == set(Shape)
    assert {type(t) for t in ONE_OF_EACH.values()} == set(typing.get_args(model.FactType))
    assert set(contract.PYTHON_TYPES) == set(Shape) - {Shape.RECORDS}  # a list's is its record class's


@pytest.mark.parametrize("shape", list(Shape), ids=lambda s: s.value)
def test_every_target_handles_every_shape(shape: Shape) -> None:
    fact = model.Fact("x", ONE_OF_EACH[shape], "A fact.", ("D.I",), 1)
    field = contract.field(fact)
    assert field.shape is shape and field.name == "x" and field.sections == ("D.I",)
    schema = contract.field_schema(field)
    assert schema["description"] == "A fact." and ("type" in schema or "enum" in schema)
    assert (field.many or shape is Shape.RECORDS) == (schema.get("type") == ["array", "null"])
    assert docs.type_of(field)[0]
    assert pydantic_models.value_aliases(field)
    assert fact_code(field).annotation == field.python_type


def test_a_code_field_carries_its_systems_form() -> None:
    field = contract.field(model.Fact("code", model.Code("CPT"), "", (), 1))
    assert field.pattern == model.CODE_SYSTEMS["CPT"][0] and field.code_system == "CPT"
    assert contract.field_schema(field)["pattern"] == contract.anchored(field.pattern)


def test_a_list_of_records_is_an_array_of_objects_of_its_fields() -> None:
    field = contract.field(model.Fact("sessions", ONE_OF_EACH[Shape.RECORDS], "Sessions.", (), 1))
    assert field.record_class == "SessionsRecord" and field.python_type == "tuple[SessionsRecord, ...]"
    items = contract.field_schema(field)["items"]
    assert items["type"] == "object" and items["additionalProperties"] is False
    assert items["properties"]["date"]["type"] == ["string", "null"]  # a field may be unknown
    assert items["properties"]["kind"]["enum"] == ["a", None]
