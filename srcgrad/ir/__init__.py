"""The SSA IR: values, operations with nested regions, functions."""

from .nodes import Block, Const, Free, Function, Op, Operand, Value

__all__ = ["Block", "Const", "Free", "Function", "Op", "Operand", "Value"]
