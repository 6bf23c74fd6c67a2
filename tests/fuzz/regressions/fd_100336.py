import numpy as np
C0 = [[0.65, 0.8, 0.77]]
C1 = [[0.15, 0.32, 0.92], [0.77, 0.14, -0.91]]
C2 = [[0.37, -0.36, 0.22]]

def f(x0):
    x0 = np.maximum(np.multiply(C0, C1), x0).mean()
    y3 = np.maximum(x0, C2)
    return y3


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'fd', 'detail': 'analytic 0.04909327721 vs central differences h=1e-06: 0.09818655444, h=1e-07: 0.09818655472, h=1e-05: 0.09818655442, h=0.0001: 0.09818655442, richardson(1e-3): 0.09818655442', 'reason': '', 'seed': 100336, 'mode': 'normal', 'wrt': 'x0', 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [], 'float')], 'args': [('float', -0.13418383527305883)], 'directions': [('float', -0.5884852591273058)], 'hvp_directions': [('float', 0.03826802637315693)], 'grad_ys': ('float', -0.5005387283682463), 'use_seeds': True}
