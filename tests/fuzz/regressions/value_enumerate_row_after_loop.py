import math
import numpy as np

def f(x0, x1):
    for k13, row14 in enumerate(x1):
        view15 = row14
        v16 = view15 * view15
    row14 *= 0
    return x1


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([[ 0.60927712, -0.3802089 , -1.71949724]]) vs f(*args) array([[ 0., -0., -0.]])', 'reason': '', 'seed': 201984, 'mode': 'aliasing', 'wrt': (0,), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [3], 'array'), ('x1', [1, 3], 'array')], 'args': [('array', [0.7016784709462931, -0.573787838992918, 1.8029786178961091], [3]), ('array', [[0.6092771153591702, -0.3802088967735778, -1.7194972385861047]], [1, 3])], 'directions': [('array', [-1.1754331473727921, -1.109401941941108, -3.153658529897362], [3])], 'hvp_directions': [('array', [1.301264632757364, -0.11779292413168474, 0.6173824843466161], [3])], 'grad_ys': None, 'use_seeds': False}
