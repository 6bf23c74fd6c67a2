"""The IR, its verifier, and each pass on its own: small function → pass → printed IR."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import ir_cases
from srcgrad.errors import InternalError
from srcgrad.ir import Block, Const, Function, Op, Value
from srcgrad.ir.printer import print_function
from srcgrad.ir.verifier import verify
from srcgrad.pipeline import lower
from srcgrad.optimize.copy_propagation import CopyPropagation
from srcgrad.optimize.cse import CommonSubexpressionElimination
from srcgrad.optimize.dce import DeadCodeElimination


def text(fn: Function) -> str:
    return print_function(fn).replace(ir_cases.__file__, "ir_cases.py")


def test_lowering_to_structured_ssa():
    primal, _ = lower(ir_cases.loop_and_branch)
    verify(primal)
    assert text(primal) == """\
func loop_and_branch(%x, %W):
  %h = for 0, 3, 1, %x reverse=False:  # ir_cases.py:8
    ^body(%i, %h_1):
      %mm = matmul(%h_1, %W)  # ir_cases.py:9
      %tanh = np.tanh(%mm)  # ir_cases.py:9
      yield %tanh  # ir_cases.py:8
  %sum = np.sum(%h)  # ir_cases.py:10
  %t = gt(%sum, 0)  # ir_cases.py:10
  %y = if %t:  # ir_cases.py:10
    ^then():
      %y_1 = mul(%h, 2)  # ir_cases.py:11
      yield %y_1  # ir_cases.py:10
    ^else():
      yield %h  # ir_cases.py:10
  %sum_1 = np.sum(%y)  # ir_cases.py:14
  return %sum_1 tuple_output=False  # ir_cases.py:6
"""


def test_dce_and_cse():
    primal, _ = lower(ir_cases.redundant)
    assert DeadCodeElimination().run(primal)
    assert "exp" not in text(primal)
    assert CommonSubexpressionElimination().run(primal)
    verify(primal)
    body = text(primal)
    assert body.count("np.sin") == 1 and body.count("mul(") == 1
    assert "%plus = add(%a, %a)" in body
    assert not DeadCodeElimination().run(primal) and not CommonSubexpressionElimination().run(primal)


def test_copy_propagation_of_identical_branches():
    body = Block()
    x = body.add_arg("x")
    c = body.add_arg("c")
    then, orelse = Block(), Block()
    then.append(Op("yield", [x]))
    orelse.append(Op("yield", [x]))
    merged = Op("if", [c], regions=[then, orelse], results=[Value("m")])
    body.append(merged)
    body.append(Op("call", [merged.result, Const(2)], results=[Value("y")], fn=operator.mul))
    body.append(Op("return", [body.ops[-1].result]))
    fn = Function("f", body, ["x", "c"])
    verify(fn)
    assert CopyPropagation().run(fn)
    DeadCodeElimination().run(fn)
    verify(fn)
    assert text(fn) == "func f(%x, %c):\n  %y = mul(%x, 2)\n  return %y\n"


def test_verifier_points_at_the_bad_op():
    body = Block()
    x = body.add_arg("x")
    stray = Value("stray")
    body.append(Op("call", [x, stray], results=[Value("y")], fn=np.add))
    body.append(Op("return", [body.ops[-1].result]))
    with pytest.raises(InternalError) as info:
        verify(Function("f", body, ["x"]))
    message = str(info.value)
    assert "srcgrad bug: operand %stray is used where it is not defined" in message
    assert ">> %y = np.add(%x, %stray)" in message


def test_verifier_wants_terminators():
    body = Block()
    body.add_arg("x")
    with pytest.raises(InternalError, match="block must end with 'return'"):
        body.append(Op("call", [body.args[0]], results=[Value("y")], fn=np.sin))
        verify(Function("f", body, ["x"]))
