import numpy as np
C0 = np.array([[0.2], [0.53]])

def f(x0, x1):
    v0 = np.maximum(x1, C0 + 0.05)
    return v0


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'exception', 'detail': 'ValueError: cannot reshape array of size 2 into shape () [at api.py:177: return float(np.asarray(g).reshape(()))]', 'reason': '', 'seed': 824, 'mode': 'normal', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [], 'float'), ('x1', [], 'float')], 'args': [('float', -1.4005375410133196), ('float', -1.488238719245512)], 'directions': [('float', -0.11506950055255409), ('float', -1.2494111237630627)], 'hvp_directions': [('float', -0.46707269897654297), ('float', -2.3372607754199968)], 'grad_ys': None, 'use_seeds': False}
