import math
import numpy as np

def h0(a0, a1):
    a0 += a0
C2 = [[0.37, 0.23, 0.41]]

def f(x0, x1):
    y6 = x0 + np.zeros((3,))

    def inner10(z11):
        return h0(y6, h0(y6, C2))
    t12 = (inner10(np.logaddexp(y6, y6)), C2)
    return y6


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([-2.67352679, -2.67352679, -2.67352679]) vs f(*args) array([-5.34705358, -5.34705358, -5.34705358])', 'reason': '', 'seed': 256177, 'mode': 'aliasing', 'wrt': 1, 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [], 'float'), ('x1', [], 'float')], 'args': [('float', -1.3367633960372705), ('float', -0.2050713655205908)], 'directions': [('float', -0.08101964333798585)], 'hvp_directions': [('float', -0.3221684354981554)], 'grad_ys': None, 'use_seeds': False}
