import math
import numpy as np
C0 = [[0.55, 0.76, 0.06]]

def f(x0, x1, x2):
    xs4 = [x0]
    for i5 in range(3):
        x2 = np.tanh(xs4)
        xs4.append(C0)
    return x2


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'hvp', 'detail': "second derivative raised TypeError: Field elements must be 2- or 3-tuples, got 'array([[-0.11821417,  1.31648167, -2.03760489]])' [at indexing.py:23: grad = np.zeros(shape, dtype=np.result_type(ct))]", 'reason': '', 'seed': 200645, 'mode': 'aliasing', 'wrt': (0, 1, 2), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [1, 3], 'array'), ('x1', [3], 'array'), ('x2', [3], 'array')], 'args': [('array', [[-0.06726003727847599, 0.5483930173020785, 0.5673733348865554]], [1, 3]), ('array', [0.46675067700277784, -0.47633188094840984, 2.5], [3]), ('array', [-0.2388085527957715, 0.3600338177910824, -0.6045077621379146], [3])], 'directions': [('array', [[-0.15959740153298438, -1.4188871937067131, -0.7950291285554572]], [1, 3]), ('array', [-0.2773998613992829, -0.34823828112291105, 1.1905241049637347], [3]), ('array', [-0.05544748770252775, -0.8837691039738406, 0.11554926933344636], [3])], 'hvp_directions': [('array', [[-0.11821417163662841, 1.3164816748511903, -2.037604894681356]], [1, 3]), ('array', [0.8305298369432856, 1.6364136977858759, 0.5164674328770081], [3]), ('array', [-1.2476521887098797, 1.3108934999565411, 0.33133764634459006], [3])], 'grad_ys': ('float', -0.01626287525471254), 'use_seeds': True}
