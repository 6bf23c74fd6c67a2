import math
import numpy as np

def h0(a0, a1, scale=1.5):
    a1 *= 0.5
    return (scale, scale)

def f(x0, x1):
    i3 = 0
    x1[i3] -= h0(a0=x1, a1=x1)[0]
    return x1


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([-1.0170625 , -0.15389837,  0.1247418 ]) vs f(*args) array([-0.534125  , -0.15389837,  0.1247418 ])', 'reason': '', 'seed': 201197, 'mode': 'aliasing', 'wrt': (0,), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [3], 'array'), ('x1', [3], 'array')], 'args': [('array', [-0.11477130729581704, -0.0966444763372032, 1.0877139960712185], [3]), ('array', [0.9658749990250924, -0.3077967423275218, 0.24948359078041843], [3])], 'directions': [('array', [-1.6095282570055083, -1.944316012991165, -1.6856101091885176], [3])], 'hvp_directions': [('array', [-1.0527949598636757, 0.10371626160659807, -0.14515504711745164], [3])], 'grad_ys': None, 'use_seeds': False}
