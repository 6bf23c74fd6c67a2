"""srcgrad: source-to-source automatic differentiation (reverse and forward mode) for Python + NumPy.

    @srcgrad.differentiate(wrt=("W", "b"))
    def cost(W, b, X, Y):
        return 0.5 * np.sum((W * X + b - Y) ** 2)

    dW, db = cost.grad(W, b, X, Y)
    print(cost.source)          # the generated adjoint: plain, readable NumPy
"""

from .version import __version__  # noqa: E402
from .api import differentiate, grad, show, value_and_grad  # noqa: E402
from .exporting import export  # noqa: E402
from .jacobians import check_grads, hessian, hvp, jacobian  # noqa: E402
from .linear_maps import jvp, vjp  # noqa: E402
from .errors import NoGradientError, SrcgradError, UnsupportedSyntaxError, UnsupportedValueError  # noqa: E402
from .runtime.core import stop_gradient  # noqa: E402
from .rules.registry import register_vjp  # noqa: E402

__all__ = [
    "differentiate",
    "grad",
    "value_and_grad",
    "stop_gradient",
    "show",
    "export",
    "jvp",
    "vjp",
    "jacobian",
    "hessian",
    "hvp",
    "check_grads",
    "register_vjp",
    "SrcgradError",
    "UnsupportedSyntaxError",
    "NoGradientError",
    "UnsupportedValueError",
    "__version__",
]
