"""The input fuzzer (tests/fuzz/inputs.py): fixed differentiable functions called through
`srcgrad.grad` with bad inputs. Every outcome must be a gradient (checked against finite
differences where that means something), a `srcgrad.SrcgradError`, a TypeError/ValueError
naming the argument, or the exception the function itself raises on those inputs; never
a raw exception out of generated code (or srcgrad's internals) that the user's function
would not raise.

Known violations are strict xfails with what goes wrong: a fix makes them XPASS, and the
entry must then be removed.
"""

from __future__ import annotations

import pytest

from fuzz.inputs import CASES, classify

KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}  # none now (a Decimal argument and a 0-d array reduced along axis 0: stop 22)


def _params() -> list:
    out = []
    for fn, name in CASES:
        reason = KNOWN_VIOLATIONS.get((fn, name))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(fn, name, id=f"{fn}-{name}", marks=marks))
    return out


@pytest.mark.parametrize("fn, name", _params())
def test_bad_inputs_get_a_gradient_or_a_clear_error(fn: str, name: str) -> None:
    verdict, detail = classify(fn, name)
    assert not verdict.startswith("violation"), f"{fn}({name}): {verdict}: {detail}"
