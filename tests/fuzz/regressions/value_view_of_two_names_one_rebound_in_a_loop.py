import math
import numpy as np

def f(x0):
    view7 = x0[::1]
    alias11 = x0

    def inner21(z22):
        return view7
    for i23 in range(5):
        alias11 = np.tanh(inner21(x0))
        x0 /= alias11
    return alias11


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([0.83058109, 0.7646326 , 0.96055213]) vs f(*args) array([0.9403005 , 0.93200925, 0.97414266])', 'reason': '', 'seed': 224501, 'mode': 'aliasing', 'wrt': (0,), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [3], 'array')], 'args': [('array', [-0.7695149202111639, 0.14784075783827683, -1.8607105491497644], [3])], 'directions': [('array', [0.9958067077463796, 0.42857150757005574, -0.4190446323736885], [3])], 'hvp_directions': [('array', [-0.04910872845060546, 0.8023175192556969, 0.019792429257360727], [3])], 'grad_ys': ('float', -0.0478933392319131), 'use_seeds': True}
