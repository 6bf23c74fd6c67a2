
def h0(a0, scale=2.0):
    pass

def f(x0, x1):
    v13 = h0(x0)
    if x0 >= 0.68:
        if (v13 > 0.14) < 0.92:
            pass


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'exception', 'detail': "TypeError: '>' not supported between instances of 'NoneType' and 'float' [at expressions.py:134: results.append(Const(fn(left.value, right.value)))]", 'reason': '', 'seed': 105740, 'mode': 'normal', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [], '0d'), ('x1', [2, 1], 'array')], 'args': [('array', -0.4381033831650213, []), ('array', [[0.17299923199380904], [0.2635494498164539]], [2, 1])], 'directions': [('array', 1.0430992013640064, []), ('array', [[-1.5102043689329223], [1.6680748701846424]], [2, 1])], 'hvp_directions': [('array', 0.2054179664631793, []), ('array', [[0.042266904925796364], [-2.0995246224143957]], [2, 1])], 'grad_ys': ('array', [[0.4565958205435651, -2.1409604667319564, -0.16097745169718874], [-1.9382188430521667, 1.3472529539030778, 0.6219601337637486]], [2, 3]), 'use_seeds': True}
