import math
import numpy as np
C3 = np.array([[0.7, -0.83, 0.57], [0.23, 0.51, 0.7]])

def h0(a0, a1):
    for i5 in range(1):
        a0 = np.tanh(a0 + np.tanh(np.arctan2(np.einsum('i,i->', a0, a0), 1.0 + np.multiply(C3, a1) ** 2).sum(axis=(0, 1))))
    return a1
C5 = np.array([[0.56], [-0.11]])
C6 = np.array([[-0.27, 0.98, -0.91]])
C7 = np.array([[0.6, -0.06, 0.38], [0.21, 0.85, 0.23], [0.27, -0.03, 0.54]])
C8 = np.array([-0.29, 0.07, 0.68])
C9 = np.array([0.48, 0.89, -0.16])

def f(x0):
    k9 = 0
    while k9 < 3 and np.mean(h0(a0=x0, a1=x0.sum(axis=0))) <= -0.09:
        xs10 = [abs(np.mean(x0))]
        i11 = 0
        x0 = x0 - 0.3 * np.tanh(np.mean(np.subtract(C5, np.sin(i11 * -1.1))))
        if np.sum(np.where(x0 > -0.42, C6, x0)) <= 0.13:
            break
    v16 = np.square(np.arctan2(C8, 1.0 + 0.9 ** 2))
    v16[-1] = abs(x0.max())
    return (np.add(C9 @ C7, C9).mean(axis=0), np.max(v16, axis=0))


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'fd', 'detail': 'analytic 0 vs central differences h=1e-06: -0.4488792496, h=1e-07: -0.4488792499, h=1e-05: -0.4488792496, h=0.0001: -0.4488792496, richardson(1e-3): -0.4488792496', 'reason': '', 'seed': 300044, 'mode': 'normal', 'wrt': (0,), 'options': {'unconnected_gradients': 'none'}, 'params': [('x0', [3], 'array')], 'args': [('array', [0.4126824902655871, -0.36676724109529707, -0.3700467243571287], [3])], 'directions': [('array', [-0.4604115724972316, -0.30152600714603905, 0.07239532295786827], [3])], 'hvp_directions': [('array', [-1.4046090382754643, 0.28327922572064623, -1.217717362875994], [3])], 'grad_ys': ('tuple', [('float', -1.4034734627643357), ('float', 0.9749521438002978)]), 'use_seeds': True}
