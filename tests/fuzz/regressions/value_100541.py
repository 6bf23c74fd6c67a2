import numpy as np

def f(x0, x1, x2):
    for i1 in range(5):
        if np.max(x0) > 0.5:
            break
    v2, v3 = (x0, i1)
    return v3


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value 4 vs f(*args) 0', 'reason': '', 'seed': 100541, 'mode': 'normal', 'wrt': (0, 1, 2), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [2, 1], 'array'), ('x1', [3], 'array'), ('x2', [2, 1], 'array')], 'args': [('array', [[1.165499113977449], [-1.443594524384143]], [2, 1]), ('array', [-0.3974865646824169, -0.9603783126706302, -0.7032921758684321], [3]), ('array', [[-0.8798659994208891], [-1.2649127486367873]], [2, 1])], 'directions': [('array', [[0.24006917809086778], [0.7746043480622272]], [2, 1]), ('array', [-0.06607378735410416, 0.5480593628941512, 0.9614522125067603], [3]), ('array', [[-0.36997831765683153], [-0.2916487108845315]], [2, 1])], 'hvp_directions': [('array', [[1.1123868300363067], [1.3371292212379742]], [2, 1]), ('array', [0.7170978629441743, 1.2290276032756293, 1.1373453206265791], [3]), ('array', [[-0.37755325034321074], [0.13701901153150703]], [2, 1])], 'grad_ys': ('float', 0.23799351557676338), 'use_seeds': True}
