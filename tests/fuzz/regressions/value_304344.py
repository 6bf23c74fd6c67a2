import math
import numpy as np

def h0(a0, scale=1.1):
    scale += scale
    scale /= a0
    return a0

def f(x0, x1):
    x1[0] -= h0(x0, scale=x0)
    return x0


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value np.float64(0.6722426656240321) vs f(*args) array(1.)', 'reason': '', 'seed': 304344, 'mode': 'normal', 'wrt': ('x0', 'x1'), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [], '0d'), ('x1', [2, 3], 'array')], 'args': [('array', 0.33612133281201606, []), ('array', [[-0.7963456229212922, -0.38600310402327387, 0.09956117193465144], [-0.9173424745195861, -1.0584399594410505, -0.2051499740989882]], [2, 3])], 'directions': [('array', 1.567507699586088, []), ('array', [[-0.6666617976523512, -0.8462491022551019, -2.0779381699802895], [0.1623213795949059, -1.9261870919863364, -0.11549998754994313]], [2, 3])], 'hvp_directions': [('array', -0.5016001851107728, []), ('array', [[-1.759184770970025, 0.8171637283803785, 0.0373087994261964], [1.0944230450446704, -0.7875227751235635, -0.6025823411961123]], [2, 3])], 'grad_ys': ('float', -2.193497808538914), 'use_seeds': True}
