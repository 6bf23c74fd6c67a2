"""`srcgrad show MODULE_OR_FILE:FUNCTION [options]` (SPEC.md section 6), `srcgrad export ... -o FILE`
and `srcgrad cache info|clear`.

Exit status: 0 on success, 1 with a one-paragraph error on a srcgrad error,
2 on a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import importlib.util
import os
import sys
from typing import Any, Sequence

from . import api, exporting, pipeline
from .backend import cache
from . import options as option_checks
from .errors import SrcgradError
from .version import __version__


class UsageError(Exception):
    """A command line srcgrad cannot act on (exit 2)."""


class TargetError(Exception):
    """The target's module cannot be imported (exit 1, one paragraph, no traceback)."""


def load_target(target: str) -> Any:
    if ":" not in target:
        raise UsageError(f"expected MODULE_OR_FILE:FUNCTION, got {target!r}")
    where, _, name = target.rpartition(":")
    try:
        module = _import(where)
    except (UsageError, TargetError):
        raise
    except SyntaxError as exc:
        raise TargetError(f"{exc.filename or where}:{exc.lineno}: a syntax error in the target's module: {exc.msg}; "
                          "fix it, then run srcgrad again") from None
    except Exception as exc:  # the module's own code failed while it was imported
        raise TargetError(f"importing {where} raised {type(exc).__name__}: {exc} (srcgrad imports the module to "
                          "find the function; make it importable, e.g. guard a script's work with "
                          "`if __name__ == \"__main__\":`)") from None
    obj: Any = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"{where} has no function {name!r}")
        obj = getattr(obj, part)
    if not callable(obj) or isinstance(obj, type):
        what = "a class" if isinstance(obj, type) else "a module" if inspect.ismodule(obj) else type(obj).__name__
        raise UsageError(f"{where}:{name} is {what}, not a function: name a function or method "
                         f"(e.g. {where}:{name}.method for a class's method)")
    return obj


def _import(where: str) -> Any:
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
        return module
    sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        if exc.name and where.split(".")[0] == exc.name.split(".")[0]:
            raise UsageError(f"cannot import {where}: {exc}") from None
        raise


def _split(text: str | None) -> Any:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    parsed = [int(t) if t.lstrip("-").isdigit() else t for t in items]
    return parsed[0] if len(parsed) == 1 else tuple(parsed)


def highlight(source: str) -> str:
    """Colour for a terminal (with pygments installed), never where NO_COLOR is set or TERM=dumb."""
    if not sys.stdout.isatty() or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return source
    try:
        from pygments import highlight as pyg_highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return source
    return str(pyg_highlight(source, PythonLexer(), TerminalFormatter()))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="srcgrad", description="Source-to-source automatic differentiation for Python + NumPy.")
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
    cache_cmd = sub.add_parser("cache", help="the disk cache of generated code: where it is, its size; clear it")
    cache_cmd.add_argument("action", choices=["info", "clear"])
    return p


def cache_command(action: str) -> int:
    if action == "clear":
        print(f"removed {cache.clear()} cached adjoints from {cache.directory()}")
        return 0
    facts = cache.info()
    state = "on" if facts["enabled"] else "off (SRCGRAD_CACHE=0)"
    print(f"directory: {facts['directory']}\nentries:   {facts['entries']} ({facts['bytes'] / 2**20:.1f} MiB of "
          f"{facts['max_bytes'] / 2**20:.0f} MiB; the least recently used go first)\ncache:     {state}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command == "cache":
        return cache_command(args.action)
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
    except (SrcgradError, TargetError, ValueError, TypeError) as exc:
        print(f"srcgrad: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
