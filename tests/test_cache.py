"""The cache of generated adjoints (SPEC.md section 7): in memory, on disk, safe."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad import api, pipeline
from srcgrad import options as option_checks
from srcgrad.backend import cache

ROOT = Path(__file__).resolve().parents[1]

MODULE = '''
import numpy as np

def helper(x):
    return x * SCALE

SCALE = 3.0

def loss(x):
    return np.sum(helper(x) ** 2)
'''


def write_module(folder: Path, source: str = MODULE, name: str = "cached_mod") -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def run_python(code: str, cwd: Path, cache_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SRCGRAD_CACHE_DIR=str(cache_dir), PYTHONPATH=f"{cwd}{os.pathsep}{ROOT}")
    env.pop("SRCGRAD_CACHE", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_second_process_is_served_from_disk(tmp_path):
    write_module(tmp_path)
    cache_dir = tmp_path / "cache"
    first = run_python("""
        import numpy as np, srcgrad, cached_mod
        print(srcgrad.grad(cached_mod.loss)(np.array([1.0, 2.0])))
    """, tmp_path, cache_dir)
    assert first.returncode == 0, first.stderr
    assert len(list(cache_dir.glob("adjoint_*.py"))) == 1
    second = run_python("""
        import numpy as np, srcgrad, cached_mod
        from srcgrad import pipeline
        def no_compiler(*args, **kwargs):
            raise AssertionError("the compiler ran: the disk cache was not used")
        pipeline.differentiate = no_compiler
        print(srcgrad.grad(cached_mod.loss)(np.array([1.0, 2.0])))
    """, tmp_path, cache_dir)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout == "[18. 36.]\n"


def test_global_values_are_read_at_each_call(tmp_path, monkeypatch):
    write_module(tmp_path, name="live_mod")
    monkeypatch.syspath_prepend(str(tmp_path))
    import live_mod

    g = srcgrad.grad(live_mod.loss)
    np.testing.assert_allclose(g(np.array([1.0])), [18.0])
    live_mod.SCALE = 1.0
    np.testing.assert_allclose(g(np.array([1.0])), [2.0])


def entry_for(fn, tmp_path, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path / "entries"))
    monkeypatch.delenv("SRCGRAD_CACHE", raising=False)
    options = option_checks.normalise(fn, {})
    api._MEMORY.clear()
    srcgrad.grad(fn)(np.array([1.0, 2.0]))
    return cache.entry_path(cache.key(fn, options)), options


def cubic(x):
    return np.sum(x**3)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign", "tampered"])
def test_a_damaged_entry_is_rebuilt_never_executed(damage, tmp_path, monkeypatch):
    path, options = entry_for(cubic, tmp_path, monkeypatch)
    text = path.read_text()
    if damage == "truncated":
        path.write_text(text[: len(text) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff not python at all")
    elif damage == "foreign":
        path.write_text(text.replace("key=", "key=0", 1))
    else:  # the checksum no longer matches what would run
        path.write_text(text.replace("def cubic_grad", "raise SystemExit('executed!')\ndef cubic_grad"))
    assert cache.load(cache.key(cubic, options)) is None
    api._MEMORY.clear()
    np.testing.assert_allclose(srcgrad.grad(cubic)(np.array([1.0, 2.0])), [3.0, 12.0])
    assert cache.load(cache.key(cubic, options)) is not None  # rebuilt


def test_concurrent_writers_never_show_a_partial_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path))
    text = "def f(x):\n    return x\n" * 2000
    seen = []

    def writer():
        for _ in range(20):
            cache.store("k" * 32, text, {"name": "f", "helpers": {}, "frees": {}})

    def reader():
        for _ in range(200):
            entry = cache.load("k" * 32)
            seen.append(entry is None or entry[0].endswith(text))

    threads = [threading.Thread(target=writer) for _ in range(3)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(seen)
    assert not list(tmp_path.glob(".adjoint_*"))  # no temporary file left behind


def test_cache_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SRCGRAD_CACHE", "0")
    api._MEMORY.clear()
    srcgrad.grad(cubic)(np.array([1.0]))
    assert not list(tmp_path.iterdir())


def test_key_covers_callee_source_and_options(tmp_path, monkeypatch):
    path = write_module(tmp_path, name="keyed_mod")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    import keyed_mod

    options = option_checks.normalise(keyed_mod.loss, {})
    before = cache.key(keyed_mod.loss, options)
    assert cache.key(keyed_mod.loss, option_checks.normalise(keyed_mod.loss, {"optimize": False})) != before
    path.write_text(MODULE.replace("x * SCALE", "x * SCALE * 2"))
    importlib.reload(keyed_mod)
    assert cache.key(keyed_mod.loss, options) != before


def test_memory_cache_reuses_the_compiled_adjoint():
    api._MEMORY.clear()
    g = srcgrad.grad(cubic)
    g(np.array([1.0]))
    compiled = api.compile_adjoint(cubic, pipeline.Options())
    g(np.array([2.0]))
    assert api.compile_adjoint(cubic, pipeline.Options()) is compiled


def test_tracebacks_and_getsource_see_generated_code():
    import inspect

    def breaks(x):
        return np.sum(np.log(x))

    g = srcgrad.grad(breaks)
    adjoint = g.__srcgrad_original__
    assert "def breaks_grad(x, grad_ys=None):" in inspect.getsource(adjoint)
    with pytest.raises(TypeError) as info:
        adjoint("not a number", None)  # (through `g`, a string is refused before the adjoint runs)
    frames = [f.filename for f in __import__("traceback").extract_tb(info.value.__traceback__)]
    assert any("adjoint_" in f or "<srcgrad:" in f for f in frames)
