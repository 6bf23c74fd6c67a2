"""Seed 001, In [31]: softmax cross-entropy two ways, and its gradient through srcgrad.

TensorFlow 1.x, as the seed wrote it::

    logits = tf.constant(rdm.rand(1, 10))
    y = np.array([0.0, 1.0, 0, 0, 0, 0, 0, 0, 0, 0])
    cross_entropy = tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits)
    y_softmax = tf.nn.softmax(logits=logits)
    cross_entropy_v1 = -tf.reduce_sum(y * tf.log(y_softmax))

Both print 1.91865955 (the fused, stable form and the textbook one agree).
srcgrad then differentiates each; both give softmax(logits) - y.

Run: python examples/softmax_xent.py
"""

import numpy as np
from numpy.random import RandomState

import srcgrad
from srcgrad import nn


def fused(labels, logits):
    return nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def textbook(labels, logits):
    return -np.sum(labels * np.log(nn.softmax(logits)))


def main() -> None:
    rdm = RandomState(1)
    logits = rdm.rand(1, 10)
    y = np.array([0.0, 1.0, 0, 0, 0, 0, 0, 0, 0, 0])

    print("calc with softmax_cross_entropy_with_logits_v2\n\t", fused(y, logits))
    print("calc with softmax & cross_entropy\n\t", textbook(y, logits))

    d_fused = srcgrad.grad(fused, wrt="logits")(y, logits)
    d_textbook = srcgrad.grad(textbook, wrt="logits")(y, logits)
    print("d loss / d logits (srcgrad, fused)\n\t", d_fused)
    print("softmax(logits) - y\n\t", nn.softmax(logits) - y)
    print("max |fused - textbook| =", np.max(np.abs(d_fused - d_textbook)))
    print("d loss / d labels = -log_softmax(logits) (v2 also differentiates labels)\n\t",
          srcgrad.grad(fused, wrt="labels")(y, logits))


if __name__ == "__main__":
    main()
