"""A visitor over expressions of the checked model that fails loudly on a node it does not handle.

A walker subclasses `ExprVisitor[T]` and overrides `visit_<Class>` for each class it meets.
`visit` dispatches on the node's class with one exhaustive match, so a new class of node
fails type checking here until it has a method; a walker that meets a class it did not
override raises `UnsupportedNode`, naming both, instead of falling through to a default.
"""

from __future__ import annotations

from typing import Generic, NoReturn, TypeVar, assert_never

from compiler.model import expr as e

T = TypeVar("T")


class UnsupportedNode(TypeError):
    def __init__(self, node: object, visitor: object) -> None:
        super().__init__(f"{type(visitor).__name__} does not handle {type(node).__name__}")


class ExprVisitor(Generic[T]):
    def visit(self, node: e.Expr | e.Operand) -> T:
        if isinstance(node, e.FactRef):
            return self.visit_FactRef(node)
        if isinstance(node, e.Const):
            return self.visit_Const(node)
        if isinstance(node, e.Compare):
            return self.visit_Compare(node)
        if isinstance(node, e.Member):
            return self.visit_Member(node)
        if isinstance(node, e.Intersects):
            return self.visit_Intersects(node)
        if isinstance(node, e.Empty):
            return self.visit_Empty(node)
        if isinstance(node, e.Known):
            return self.visit_Known(node)
        if isinstance(node, e.Present):
            return self.visit_Present(node)
        if isinstance(node, e.Not):
            return self.visit_Not(node)
        if isinstance(node, e.Combine):
            return self.visit_Combine(node)
        if isinstance(node, e.ProvisionRef):
            return self.visit_ProvisionRef(node)
        if isinstance(node, e.Arith):
            return self.visit_Arith(node)
        if isinstance(node, e.Shift):
            return self.visit_Shift(node)
        if isinstance(node, e.Call):
            return self.visit_Call(node)
        if isinstance(node, e.CodeSetRef):
            return self.visit_CodeSetRef(node)
        if isinstance(node, e.ValueRef):
            return self.visit_ValueRef(node)
        if isinstance(node, e.FieldRef):
            return self.visit_FieldRef(node)
        if isinstance(node, e.Quantify):
            return self.visit_Quantify(node)
        if isinstance(node, e.Aggregate):
            return self.visit_Aggregate(node)
        if isinstance(node, e.Lookup):
            return self.visit_Lookup(node)
        if isinstance(node, e.Choice):
            return self.visit_Choice(node)
        assert_never(node)

    def unsupported(self, node: e.Expr | e.Operand) -> NoReturn:
        raise UnsupportedNode(node, self)

    # Conditions
    def visit_FactRef(self, node: e.FactRef) -> T:
        self.unsupported(node)

    def visit_Const(self, node: e.Const) -> T:
        self.unsupported(node)

    def visit_Compare(self, node: e.Compare) -> T:
        self.unsupported(node)

    def visit_Member(self, node: e.Member) -> T:
        self.unsupported(node)

    def visit_Intersects(self, node: e.Intersects) -> T:
        self.unsupported(node)

    def visit_Empty(self, node: e.Empty) -> T:
        self.unsupported(node)

    def visit_Known(self, node: e.Known) -> T:
        self.unsupported(node)

    def visit_Present(self, node: e.Present) -> T:
        self.unsupported(node)

    def visit_Not(self, node: e.Not) -> T:
        self.unsupported(node)

    def visit_Combine(self, node: e.Combine) -> T:
        self.unsupported(node)

    def visit_ProvisionRef(self, node: e.ProvisionRef) -> T:
        self.unsupported(node)

    def visit_Quantify(self, node: e.Quantify) -> T:
        self.unsupported(node)

    # Operands
    def visit_Arith(self, node: e.Arith) -> T:
        self.unsupported(node)

    def visit_Shift(self, node: e.Shift) -> T:
        self.unsupported(node)

    def visit_Call(self, node: e.Call) -> T:
        self.unsupported(node)

    def visit_CodeSetRef(self, node: e.CodeSetRef) -> T:
        self.unsupported(node)

    def visit_ValueRef(self, node: e.ValueRef) -> T:
        self.unsupported(node)

    def visit_FieldRef(self, node: e.FieldRef) -> T:
        self.unsupported(node)

    def visit_Aggregate(self, node: e.Aggregate) -> T:
        self.unsupported(node)

    def visit_Lookup(self, node: e.Lookup) -> T:
        self.unsupported(node)

    def visit_Choice(self, node: e.Choice) -> T:
        self.unsupported(node)
