import numpy as np
C1 = [[0.81, 0.8, 0.09], [0.52, 0.6, 0.63]]

def f(x0, x1):

    def inner0(z1):
        return x0
    v2 = x0

    def inner3(z4):
        return inner0(z4)
    if np.min(v2) < 0.02:
        x0[x0 < 0.15] += 1.0
        v2 = inner3(C1)
    return v2


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([-1.23986235,  0.22939536,  0.55011405]) vs f(*args) array([-0.23986235,  0.22939536,  0.55011405])', 'reason': '', 'seed': 100193, 'mode': 'normal', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [3], 'array'), ('x1', [], '0d')], 'args': [('array', [-1.2398623476518735, 0.22939535636209427, 0.5501140528718725], [3]), ('array', 0.2740976415802469, [])], 'directions': [('array', [-1.351644716357982, -0.09976441405240115, 0.03319465777696033], [3]), ('array', 1.4629674209178403, [])], 'hvp_directions': [('array', [-1.937173802849112, -3.8781834565813456, -0.07586095712507461], [3]), ('array', 0.5050169507744215, [])], 'grad_ys': ('array', [2.48383682489644, 0.8393860716056043, 0.5883421150993], [3]), 'use_seeds': True}
