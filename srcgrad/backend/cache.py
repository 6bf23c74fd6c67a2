"""The cache of generated adjoints, in memory and on disk.

The key covers the source of the function and of every Python function it
can reach by name (what lowering may inline), the options, the user rules in
force, and the versions of srcgrad (its own source) and Python. A disk entry
is one readable module file whose first line carries the key and a checksum
of the rest: a corrupt, truncated or foreign entry fails the check and is
rebuilt, never executed. Entries are written to a temporary file and renamed
into place, so a concurrent process sees a whole entry or none.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
import tempfile
import types
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..frontend.resolve import MISSING, lookup_free
from ..frontend.source import unwrap
from ..rules.registry import user_rules_fingerprint
from ..version import __version__

MAGIC = "# srcgrad-cache v1"
_SRCGRAD_INTERNALS = ("srcgrad.runtime", "srcgrad.rules", "srcgrad.api")


def enabled() -> bool:
    return os.environ.get("SRCGRAD_CACHE", "1") not in ("0", "false", "no", "off")


def directory() -> Path:
    configured = os.environ.get("SRCGRAD_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "srcgrad"


_WARNED: set[str] = set()


def usable_directory() -> Path | None:
    """The cache directory, made private to this user (0700) if new; None (memory only, with one
    warning per directory) if another user owns it or others may write to it: generated code
    is executed from there, so nobody else may be able to put code in it."""
    folder = directory()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.stat()
    except OSError:
        return None
    problem = None
    if hasattr(os, "getuid") and status.st_uid != os.getuid():
        problem = "is owned by another user"
    elif status.st_mode & 0o022:
        problem = "is writable by other users"
    if problem is None:
        return folder
    if str(folder) not in _WARNED:
        _WARNED.add(str(folder))
        warnings.warn(f"srcgrad: not using the cache directory {folder}: it {problem}; generated code is kept "
                      f"in memory only (set SRCGRAD_CACHE_DIR to a private directory)", RuntimeWarning, stacklevel=3)
    return None


@lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """srcgrad's own source: a changed rule or pass invalidates every entry."""
    digest = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def reachable_sources(fn: Any) -> list[str]:
    """The source of `fn` and of every Python function reachable from it by name."""
    seen: set[int] = set()
    sources: list[str] = []

    def visit(f: Any) -> None:
        f = unwrap(f)
        if id(f) in seen or not isinstance(f, types.FunctionType):
            return
        seen.add(id(f))
        module = getattr(f, "__module__", "") or ""
        if module.split(".")[0] in ("numpy", "scipy") or module.startswith(_SRCGRAD_INTERNALS):
            return  # covered by the versions (and srcgrad's own source) in the key
        # Where it sits matters too: the generated text's `# grad of:` comments, header and messages
        # carry `file:line`, so lines added above a function (or one source in two scripts) is a new key.
        where = f"{os.path.abspath(f.__code__.co_filename)}:{f.__code__.co_firstlineno}"
        try:
            sources.append(f"{module}.{f.__qualname__} at {where}\n{inspect.getsource(f.__code__)}")
        except (OSError, TypeError):
            sources.append(f"{module}.{f.__qualname__} at {where}:<no source>")
        names: set[str] = set()
        stack = [f.__code__]
        while stack:
            code = stack.pop()
            names.update(code.co_names)
            names.update(code.co_freevars)
            stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
        for name in sorted(names):
            value = lookup_free(f, name)
            if value is MISSING:
                continue
            if isinstance(value, types.ModuleType):
                for attr in sorted(names):
                    member = getattr(value, attr, None)
                    if isinstance(member, types.FunctionType):
                        visit(member)
            elif callable(value):
                visit(value)

    visit(fn)
    return sources


def key(fn: Any, options: Any) -> str:
    material = json.dumps(
        {
            "sources": reachable_sources(fn),
            "options": repr(options),
            "rules": user_rules_fingerprint(),
            "srcgrad": compiler_fingerprint(),
            "python": f"{sys.implementation.name}-{sys.version_info.major}.{sys.version_info.minor}",
        },
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry_path(cache_key: str) -> Path:
    return directory() / f"adjoint_{cache_key}.py"


def load(cache_key: str) -> tuple[str, dict, Path] | None:
    """The cached module text and metadata, or None if absent or not exactly what was written."""
    if usable_directory() is None:
        return None
    path = entry_path(cache_key)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    header, _, rest = text.partition("\n")
    meta_line, _, body = rest.partition("\n")
    expected = f"{MAGIC} key={cache_key} sha256="
    if not header.startswith(expected) or header[len(expected):] != _checksum(rest):
        return None
    if not meta_line.startswith("# srcgrad-meta "):
        return None
    try:
        meta = json.loads(meta_line[len("# srcgrad-meta "):])
    except json.JSONDecodeError:
        return None
    try:
        os.utime(path)  # used now: the last entry the size cap would remove
    except OSError:
        pass
    return text, meta, path


def store(cache_key: str, module_text: str, meta: dict) -> Path | None:
    """Write an entry atomically; returns its path, or None if the directory is not writable."""
    rest = f"# srcgrad-meta {json.dumps(meta, sort_keys=True)}\n{module_text}"
    text = f"{MAGIC} key={cache_key} sha256={_checksum(rest)}\n{rest}"
    folder = usable_directory()
    if folder is None:
        return None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".adjoint_", suffix=".tmp", dir=folder)  # mode 0600
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, entry_path(cache_key))
        _STORES[0] += 1
        if _STORES[0] % EVICT_EVERY == 1:  # the first store of a process, then every 64th: a directory
            evict()                          # listing per store would make filling a big cache quadratic
    except OSError:  # a full disk, a read-only directory: the gradient is still compiled in memory
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return None
    return entry_path(cache_key)


EVICT_EVERY = 64
_STORES = [0]
MAX_BYTES = 256 * 2**20
"""The disk cache's size cap (SRCGRAD_CACHE_MAX_MB overrides it): past it, the entries used
least recently are removed (a load marks an entry used)."""


def entries() -> list[Path]:
    folder = directory()
    return sorted(folder.glob("adjoint_*.py")) if folder.is_dir() else []


def info() -> dict:
    """The cache's directory, and how many entries it holds in how many bytes."""
    sizes = [_size(path) for path in entries()]
    return {"directory": str(directory()), "entries": len(sizes), "bytes": sum(sizes),
            "enabled": enabled(), "max_bytes": _max_bytes()}


def clear() -> int:
    """Remove every entry; returns how many were removed."""
    removed = 0
    for path in entries():
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def evict(limit: int | None = None) -> int:
    """Remove the entries used least recently until the cache holds at most `limit` bytes."""
    limit = _max_bytes() if limit is None else limit
    used = []
    for path in entries():
        try:
            stat = path.stat()
        except OSError:
            continue
        used.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in used)
    removed = 0
    for _, size, path in sorted(used, key=lambda entry: entry[0]):
        if total <= limit:
            break
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed += 1
    return removed


def _max_bytes() -> int:
    configured = os.environ.get("SRCGRAD_CACHE_MAX_MB")
    try:
        return int(float(configured) * 2**20) if configured else MAX_BYTES
    except ValueError:
        return MAX_BYTES


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
