import math
import numpy as np
C0 = [[0.18, 0.95, 0.45], [0.94, 0.18, 0.74]]

def h0(a0, scale=0.3):
    scale -= C0
    return scale

def f(x0, x1):
    x1 = x0
    for i5 in range(5):
        x1 = h0(1.2, scale=x0)
    return x1


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'value', 'detail': 'value array([[ 0.07675556, -3.77324444, -1.27324444],\n       [-3.72324444,  0.07675556, -2.72324444]]) vs f(*args) array([[0.79675556, 0.02675556, 0.52675556],\n       [0.03675556, 0.79675556, 0.23675556]])', 'reason': '', 'seed': 225013, 'mode': 'aliasing', 'wrt': (0, 1), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [], 'np64'), ('x1', [], 'float')], 'args': [('np64', 0.9767555561356925), ('float', -0.050890090520239614)], 'directions': [('np64', -0.09537274126520577), ('float', 0.4110508207291975)], 'hvp_directions': [('np64', 0.27500036985679915), ('float', 0.6791612439680934)], 'grad_ys': None, 'use_seeds': False}
