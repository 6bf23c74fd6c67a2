import math
import numpy as np
C5 = np.array([0.13, 0.21, 0.71])

def f(x0, x1):
    if C5.sum() >= 0.78:
        pass
    else:
        alias7 = x1
        alias7 += x0
        view9 = alias7[...]
        v10 = view9
    x1 += 0


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'optimize', 'detail': "optimize=False raised TypeError: 'NoneType' object is not subscriptable [at <srcgrad:f_grad:6bdab6709047>:33: view9_1 = alias7_2[...]]", 'reason': '', 'seed': 267480, 'mode': 'aliasing', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [], 'float'), ('x1', [3], 'array')], 'args': [('float', -0.3899165601427194), ('array', [0.40529916686706696, -0.26307795521166394, -0.6865721749235878], [3])], 'directions': [('float', -1.2154833963896692), ('array', [-0.868275935473248, -0.41892324557085336, 1.0339752644369296], [3])], 'hvp_directions': [('float', -1.055990385486666), ('array', [0.20310015921035693, 1.186817047258695, 0.7224208263023472], [3])], 'grad_ys': ('array', [-0.17720643978354322, 1.0829057457928049, -1.3723151514144618], [3]), 'use_seeds': True}
