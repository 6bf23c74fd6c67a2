"""`srcgrad show MODULE_OR_FILE:FUNCTION [options]` (SPEC.md section 6), and `srcgrad export ... -o FILE`.

Exit status: 0 on success, 1 with a one-paragraph error on a srcgrad error,
2 on a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from typing import Any, Sequence

from . import api, exporting, pipeline
from . import options as option_checks
from .errors import SrcgradError
from .version import __version__


class UsageError(Exception):
    pass


def load_target(target: str) -> Any:
    if ":" not in target:
        raise UsageError(f"expected MODULE_OR_FILE:FUNCTION, got {target!r}")
    where, _, name = target.rpartition(":")
    if where.endswith(".py") or os.path.sep in where:
        if not os.path.exists(where):
            raise UsageError(f"no such file: {where}")
        module_name = os.path.splitext(os.path.basename(where))[0]
        spec = importlib.util.spec_from_file_location(module_name, where)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(module_name, module)
        sys.path.insert(0, os.path.dirname(os.path.abspath(where)))
        spec.loader.exec_module(module)
    else:
        sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise UsageError(f"cannot import {where}: {exc}") from None
    obj: Any = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"{where} has no function {name!r}")
        obj = getattr(obj, part)
    return obj


def _split(text: str | None) -> Any:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    parsed = [int(t) if t.lstrip("-").isdigit() else t for t in items]
    return parsed[0] if len(parsed) == 1 else tuple(parsed)


def highlight(source: str) -> str:
    if not sys.stdout.isatty():
        return source
    try:
        from pygments import highlight as pyg_highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return source
    return str(pyg_highlight(source, PythonLexer(), TerminalFormatter()))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="srcgrad", description="Source-to-source reverse-mode AD for Python + NumPy.")
    p.add_argument("--version", action="version", version=f"srcgrad {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print the generated adjoint of a function")
    show.add_argument("target", help="MODULE_OR_FILE:FUNCTION, e.g. examples/linreg.py:cost")
    show.add_argument("--wrt", help="parameter names or indices, comma-separated")
    show.add_argument("--stop-gradients", help="names held constant, comma-separated")
    show.add_argument("--unconnected-gradients", choices=["none", "zero"])
    show.add_argument("--no-optimize", action="store_true", help="show the raw transform")
    show.add_argument("--mode", choices=["reverse", "forward"], default="reverse",
                      help="the adjoint (reverse, the default) or the tangent function jvp runs (forward)")
    show.add_argument("--ir", action="store_true", help="print the SSA IR instead of Python")
    show.add_argument("--stop-after", choices=["lower", "reverse"], help="with --ir: the IR after this stage")
    export = sub.add_parser("export", help="write the adjoint as a module that needs NumPy only")
    export.add_argument("target", help="MODULE_OR_FILE:FUNCTION, e.g. examples/linreg.py:cost")
    export.add_argument("-o", "--output", required=True, help="the module to write, e.g. cost_grad.py")
    export.add_argument("--wrt", help="parameter names or indices, comma-separated")
    export.add_argument("--stop-gradients", help="names held constant, comma-separated")
    export.add_argument("--unconnected-gradients", choices=["none", "zero"])
    export.add_argument("--no-optimize", action="store_true", help="export the raw transform")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        fn = load_target(args.target)
        options: dict[str, Any] = dict(getattr(fn, "_options", {}))  # a decorated function's own options
        if args.wrt is not None:
            options["wrt"] = _split(args.wrt)
        if args.stop_gradients is not None:
            stops = _split(args.stop_gradients)
            options["stop_gradients"] = stops if isinstance(stops, tuple) else (stops,)
        if args.unconnected_gradients:
            options["unconnected_gradients"] = args.unconnected_gradients
        if args.no_optimize:
            options["optimize"] = False
        if args.command == "export":
            exporting.export(fn, args.output, **options)
            return 0
        if args.ir or args.stop_after:
            opts = option_checks.normalise_for(fn, options, args.mode)
            _, ir_text = pipeline.differentiate(fn, opts, stop_after=args.stop_after or "reverse")
            sys.stdout.write(ir_text)
        else:
            sys.stdout.write(highlight(api.show(fn, args.mode, **options)))
        return 0
    except UsageError as exc:
        print(f"srcgrad: usage error: {exc}", file=sys.stderr)
        return 2
    except (SrcgradError, ValueError, TypeError) as exc:
        print(f"srcgrad: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
