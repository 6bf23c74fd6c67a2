import numpy as np
C = np.array([[0.1, 0.3, 0.9], [0.7, 0.1, -0.7]])
C2 = np.array([[0.37, -0.36, 0.22]])


def f(x0):
    x0 = np.maximum(C, x0).mean()
    return np.sum(np.maximum(x0, C2))


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'optimize', 'detail': 'optimize=True 1/6 vs optimize=False 1/3', 'reason': 'hand-minimised from the shrunk seed 100336', 'seed': 100336, 'mode': 'normal', 'wrt': 0, 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [], 'float')], 'args': [('float', -0.134)], 'directions': [('float', 0.7)], 'hvp_directions': [('float', 0.4)], 'grad_ys': None, 'use_seeds': False}
