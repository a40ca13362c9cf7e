"""The checked policy: what compiler/check hands to the interpreter and the targets.

Unlike the AST, every name here is resolved (a fact, an enum value or a provision), every
expression is well typed and carries its source span, and the order of decision is complete.
Targets read this model only; it depends on no other stage.

    types.py    fact types, code sets, facts and computed values
    expr.py     conditions and operands
    walk.py     children of an expression, and the facts and values it reads
    visit.py    ExprVisitor: one exhaustive dispatch, loud on what a walker does not handle
    policy.py   provisions, outcomes, revisions, examples, prose: the Policy
"""

from compiler.model.expr import (
    AGGREGATE_FUNCTIONS,
    ARITH_OPS,
    COMPARE_OPS,
    FUNCTIONS,
    LEAVES,
    MIRRORED,
    Aggregate,
    AggregateFunction,
    Arith,
    ArithOp,
    Call,
    Choice,
    CodeSetRef,
    Combine,
    CombineKind,
    Compare,
    CompareOp,
    Const,
    Empty,
    Expr,
    FactRef,
    FieldRef,
    Function,
    Intersects,
    Known,
    Lookup,
    Member,
    Not,
    Operand,
    Present,
    ProvisionRef,
    QuantifierKind,
    Quantify,
    Records,
    Scalar,
    Shift,
    TableKey,
    TimeUnit,
    Value,
    ValueRef,
    finite_decimal,
    is_whole,
    key_matches,
    shifts,
    sorted_set,
)
from compiler.model.policy import (
    APPLICABILITY,
    OTHERWISE,
    OUTCOME_KINDS,
    REVISION,
    Applicability,
    Citation,
    Example,
    HistoryEntry,
    JsonValue,
    Outcome,
    Paragraphs,
    Policy,
    Prose,
    Provision,
    ProvisionPlace,
    Revision,
    Rule,
    Section,
    State,
    Term,
)
from compiler.model.types import (
    CODE_SYSTEMS,
    Boolean,
    Code,
    Codes,
    CodeSet,
    Computed,
    Date,
    Decimal,
    Enum,
    EnumSet,
    Fact,
    FactType,
    Integer,
    RecordField,
    RecordList,
    ScalarType,
    String,
)
from compiler.model.visit import ExprVisitor, UnsupportedNode
from compiler.model.walk import (
    children,
    divides,
    facts_read,
    outermost_records,
    preorder,
    provisions_referenced,
    records_read,
    rewrite,
    values_read,
)

__all__ = [
    "OUTCOME_KINDS",
    "ARITH_OPS", "COMPARE_OPS", "FUNCTIONS", "TimeUnit", "AGGREGATE_FUNCTIONS", "Aggregate", "AggregateFunction",
    "FieldRef", "Quantify", "QuantifierKind", "Records", "RecordField", "RecordList", "ScalarType", "records_read",
    "rewrite", "Lookup", "shifts", "Present", "Choice", "TableKey", "key_matches", "divides",
    "APPLICABILITY", "OTHERWISE", "CODE_SYSTEMS", "LEAVES", "MIRRORED", "REVISION", "Applicability", "Arith", "ArithOp",
    "Boolean", "Call", "Citation", "Code", "CodeSet", "CodeSetRef", "Codes", "Combine", "CombineKind", "Compare",
    "CompareOp", "Computed", "Const", "Date", "Decimal", "Empty", "Enum", "EnumSet", "Example", "Expr",
    "ExprVisitor", "Fact", "FactRef", "FactType", "Function", "HistoryEntry", "Integer", "Intersects", "JsonValue",
    "Known", "Member", "Not", "Operand", "Outcome", "Paragraphs", "Policy", "Prose", "Provision", "ProvisionPlace",
    "ProvisionRef", "Revision", "Rule", "Scalar", "Section", "Shift", "State", "String", "Term",
    "UnsupportedNode", "Value", "ValueRef", "children", "facts_read", "finite_decimal", "is_whole",
    "outermost_records", "preorder", "provisions_referenced", "sorted_set", "values_read",
]  # fmt: skip
