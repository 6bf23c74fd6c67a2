import math

import numpy as np

C0 = np.array([-0.48, 0.06, 0.16])
C1 = np.array([[-0.44, 0.77, 0.95], [-0.77, -0.88, 0.79]])
C2 = np.array([[0.82, -0.56, 0.01]])
C3 = np.array([-0.93, 0.72, -0.53])
C4 = np.array([[0.45, -0.28, 0.07], [0.16, -0.39, -0.49]])
C5 = np.array([[0.45, -0.14, -0.32], [0.2, 0.95, -0.39], [0.15, -0.1, 0.55]])
C6 = np.array([[-0.53, 0.71, -0.77]])
C7 = np.array([[0.01], [-0.36]])
C8 = np.array([[-0.92, 0.58, -0.17], [0.06, 0.42, 0.07]])
C9 = np.array([[-0.91], [0.83]])


def h0(a0):
    if np.sum(np.sum(C0[C0 > -0.08])) > 0.28:
        for i0 in range(4):
            if np.var((1.0 + (a0) ** 2) ** np.tanh((a0)), axis=(0, 1)) > -0.11:
                return (((((a0) * (a0))) / (1.0 + (a0) ** 2))).max(axis=1, keepdims=True)
            v1 = np.arctan2((np.sinc(np.tanh((a0)))), 1.0 + (np.logaddexp((a0), (1.2))) ** 2)
        for row2 in a0:
            row2 = row2 + (np.tanh(np.where((max((a0).max(), np.var(row2) + 0.05)) > 0.48, (-1.1 if np.mean(a0) > 0.19 or np.min(C2) < 0.38 else 2.0), np.sin((row2)))))
            a0 = a0 * (np.tanh(row2[1]))
            if np.max(np.minimum((a0), (row2) - 0.05)) <= 0.6:
                continue
            v3 = np.minimum((np.sinc(np.tanh(((i0 * 1.2))))), 0.4)
        v4 = row2
    else:
        y5 = a0 * 1.0
        y5[0] *= np.mean((-(np.where((y5) > -0.15, y5, y5))))
        m6 = y5 > -0.48
        y5[m6] += np.mean(C3, axis=-1)
        y5[[1, 0]] -= (1.0 / (1.0 + np.exp(-np.tanh(((y5 if np.mean(a0) <= 0.35 else a0))))))
        a0 = a0 * (y5.T[::-1].T)
    if np.mean(np.log1p(np.square((a0))), axis=(0, 1)) <= 0.2:
        if np.max(max(np.tanh((a0).sum(axis=(0, 1))), np.min(a0) + 0.05)) < -0.43:
            if np.sum(C4) <= -0.83:
                return (np.mean(np.tanh((a0)), axis=(0, 1)) + np.zeros((2, 1)))
            v7 = np.log1p(np.square((pow(np.tanh(np.var(a0, axis=(0, 1))), 2))))
    elif not (np.sum(0.9) <= 0.54):
        v8 = np.logaddexp((a0), (np.tanh(np.matmul((a0), C5))))
        if np.max(np.tanh(np.einsum('ij->j', a0))) < -0.39:
            v8 += v8
        else:
            y9 = v8 * 1.0
            y9[1, ::2] -= (np.sin((C6))).var()
            y9[1:] -= (np.minimum((np.tanh(v8)), 0.4)).prod(axis=0)
            a0 = a0 * np.cos((np.exp((np.arctan2((np.tanh(v8)), 1.0 + (np.tanh(v8)) ** 2)))))
    else:
        if np.min(a0, axis=(0, 1)) <= 0.8:
            a0 = a0 + (a0)
            v10 = np.multiply((math.tanh((((1.0 / (1.0 + np.exp(-np.tanh((np.tanh(a0))))))).var(axis=(0, 1))))), (min((((np.tanh(a0)) / (1.0 + (np.tanh(a0)) ** 2))).prod(axis=(0, 1)), (((np.prod(np.tanh(a0), axis=(0, 1)) + np.zeros((3,)))) @ ((np.max(np.tanh(a0)) + np.zeros((3,))))) - 0.05)))
        else:
            v11 = a0[np.array([1, 0])]
            v12 = np.add((np.tanh(a0)), ((np.tanh(a0))[1:2]))
        k13 = 0
        while k13 < 2 and (np.max((1.0 + (C1) ** 2) ** np.tanh((C2))) < -0.61):
            k13 += 1
            v14 = ((C7.reshape(1, 2).T) * (np.cosh((np.tanh(a0)))))
            y15 = a0.copy()
            m16 = y15 > 0.0
            y15[m16] *= 0.5
    return ((((np.where((np.tanh(a0)) > 0.4, np.tanh(a0), np.tanh(a0))) * (np.tanh((np.tanh(a0) if np.sum(np.sum((np.tanh(a0))[(np.tanh(a0)) > 0.39])) < 0.82 else a0))))).mean(axis=(0, 1)) + np.zeros((2, 1)))
C10 = np.array([0.6, 0.84, 0.69])


def h1(a0, scale=0.5):
    return h0(a0=(C1 if np.sum(np.logaddexp((C6), (scale))) < 0.77 else (C10 + np.zeros((2, 3)))))
C11 = np.array([[-0.66], [0.82]])
C12 = np.array([[0.44, 0.27, 0.19], [-0.3, 0.58, -0.16], [0.03, 0.11, 0.5]])


def f(x0):
    v17 = np.arctan2((np.cos((np.minimum((x0), (x0) - 0.05)))), 1.0 + (C11) ** 2)
    v17 /= 1.0 + (np.minimum((v17), (C4) - 0.05)) ** 2
    v18 = np.minimum(((1.0 / (1.0 + (v17) ** 2)).T[::-1].T), (((np.vdot((x0), (x0))) - (((x0) * (x0))))) - 0.05)
    if np.sum(np.sin((v17))) <= -0.5:
        xs19 = [(np.var(np.cos((np.square((C4))))) + np.zeros((1, 3)))]
        for i20 in range(4):
            v18 = 0.5 * v18 + np.sin((np.tanh(np.subtract((np.sum(v17, axis=0)), np.sin(((v18 if np.sum(np.sum((i20 * 1.5))) < -0.32 and np.min(np.max(v18)) < 0.91 else v18)))))))
            xs19.append((np.mean(v17) + np.zeros((1, 3))))
    for i21 in range(3):
        v18 = v18 * (np.tanh(np.vdot(((np.sum(v17[v17 > 0.19]) + np.zeros((3,)))), (x0))))
        v18 /= 1.0 + (np.tanh(v18)) ** 2
        v17 *= np.tanh(((np.tanh(np.sum(v18[v18 > 0.29]))) + (h0(v17))))
    def inner22(z23):
        return (h0(v18)) * np.tanh(z23) + np.sin(x0)
    return np.min(v18)


# Recorded by tests/fuzz (shrink.save): the failing inputs and what failed.
FUZZ_CASE = {'oracle': 'hvp', 'detail': "the second derivative's compile ran past 120 s: a loop carrying dozens of tapes was lowered once per tape (stop 23)", 'reason': '', 'seed': 909780, 'mode': 'normal', 'wrt': (0,), 'options': {'unconnected_gradients': 'zero'}, 'params': [('x0', [3], 'array')], 'args': [('array', [-0.24338268013054096, -0.23264352485210466, -1.1068045816537766], [3])], 'directions': [('array', [0.8274477989058341, 0.9418592406394307, 0.6691888557219724], [3])], 'hvp_directions': [('array', [-0.27442640685610953, -1.7742213950645298, -0.983738909623422], [3])], 'grad_ys': None, 'use_seeds': False}
