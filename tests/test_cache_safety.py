"""The cache cannot lie: its key covers where a function sits, its directory is private, and
concurrent, killed or failing writers never give a wrong or missing gradient."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad import api, pipeline
from srcgrad.backend import cache

ROOT = Path(__file__).resolve().parents[1]

SOURCE = '''
import numpy as np
import srcgrad


def loss(x):
    y = np.sin(x) * x
    return np.sum(y * y)


if __name__ == "__main__":
    print(srcgrad.show(loss))
    print(repr(srcgrad.grad(loss)(np.array([0.5, 1.5]))))
'''


def run(args: list[str], cwd: Path, cache_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SRCGRAD_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    env.pop("SRCGRAD_CACHE", None)
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_lines_added_above_a_function_give_new_locations(tmp_path):
    script = tmp_path / "moving.py"
    script.write_text(SOURCE)
    first = run([str(script)], tmp_path, tmp_path / "cache").stdout
    assert "(moving.py:6)" in first and "moving.py:7)" in first
    script.write_text("# a comment\n# and another\n" + SOURCE)
    second = run([str(script)], tmp_path, tmp_path / "cache").stdout
    assert "(moving.py:8)" in second and "moving.py:9)" in second and "moving.py:7)" not in second


def test_two_scripts_with_the_same_main_function_keep_their_own_locations(tmp_path):
    (tmp_path / "one.py").write_text(SOURCE)
    (tmp_path / "two.py").write_text("\n\n\n" + SOURCE)
    one = run(["one.py"], tmp_path, tmp_path / "cache").stdout
    two = run(["two.py"], tmp_path, tmp_path / "cache").stdout
    assert "(one.py:6)" in one and "two.py" not in one
    assert "(two.py:9)" in two and "one.py" not in two
    assert one.splitlines()[-1] == two.splitlines()[-1]  # the same gradient


def cubic(x):
    return np.sum(x ** 3)


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(folder))
    monkeypatch.delenv("SRCGRAD_CACHE", raising=False)
    api._MEMORY.clear()
    cache._WARNED.clear()
    yield folder
    api._MEMORY.clear()


def test_the_cache_directory_and_entries_are_private(fresh):
    np.testing.assert_allclose(srcgrad.grad(cubic)(np.array([1.0, 2.0])), [3.0, 12.0])
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    entries = list(fresh.glob("adjoint_*.py"))
    assert entries and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in entries)


@pytest.mark.parametrize("mode", [0o777, 0o775])
def test_a_directory_others_may_write_is_refused_with_one_warning(fresh, mode):
    fresh.mkdir()
    fresh.chmod(mode)
    with pytest.warns(RuntimeWarning, match="writable by other users"):
        np.testing.assert_allclose(srcgrad.grad(cubic)(np.array([1.0, 2.0])), [3.0, 12.0])
    api._MEMORY.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning is given once
        np.testing.assert_allclose(srcgrad.grad(cubic)(np.array([2.0])), [12.0])
    assert not list(fresh.iterdir())  # nothing written, nothing read


def test_a_directory_owned_by_someone_else_is_refused(fresh, monkeypatch):
    fresh.mkdir(mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(fresh).st_uid + 1)
    with pytest.warns(RuntimeWarning, match="owned by another user"):
        np.testing.assert_allclose(srcgrad.grad(cubic)(np.array([1.0])), [3.0])
    assert not list(fresh.iterdir())


@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EROFS, errno.EACCES], ids=["full", "read-only", "denied"])
def test_a_failing_write_still_gives_correct_gradients(fresh, monkeypatch, failure):
    def fail(*args, **kwargs):
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(os, "replace", fail)
    np.testing.assert_allclose(srcgrad.grad(cubic)(np.array([1.0, 2.0])), [3.0, 12.0])
    assert not list(fresh.glob("adjoint_*")) and not list(fresh.glob(".adjoint_*"))


def test_an_entry_from_another_srcgrad_or_python_is_never_used(fresh, monkeypatch):
    options = pipeline.Options()
    srcgrad.grad(cubic)(np.array([1.0]))
    (entry,) = fresh.glob("adjoint_*.py")
    keys = {cache.key(cubic, options)}
    monkeypatch.setattr(cache, "compiler_fingerprint", lambda: "another-srcgrad")
    keys.add(cache.key(cubic, options))
    monkeypatch.setattr(sys, "version_info", types.SimpleNamespace(major=3, minor=99))
    keys.add(cache.key(cubic, options))
    assert len(keys) == 3
    foreign = entry.read_text().replace(entry.stem.split("_")[1], "0" * 32, 1)  # another key's header
    entry.write_text(foreign)
    assert cache.load(entry.stem.split("_")[1]) is None


WORKER = '''
import sys
import numpy as np
import srcgrad

def f0(x):
    return np.sum(np.sin(x) * x)

def f1(x):
    return np.sum(np.tanh(x) ** 2)

def f2(x):
    return np.sum(np.exp(x) / (1.0 + x * x))

x = np.linspace(0.1, 1.0, 5)
for f in (f0, f1, f2, f0, f1, f2):
    g = srcgrad.grad(f)(x)
    eps = 1e-6
    fd = np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(5)])
    assert np.allclose(g, fd, atol=1e-6), (f.__name__, g, fd)
print("ok")
'''


def test_concurrent_processes_compiling_the_same_and_different_functions(tmp_path, monkeypatch):
    (tmp_path / "worker.py").write_text(WORKER)
    env = dict(os.environ, SRCGRAD_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    env.pop("SRCGRAD_CACHE", None)
    workers = [subprocess.Popen([sys.executable, "worker.py"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(6)]
    results = [w.communicate(timeout=180) for w in workers]
    assert all(w.returncode == 0 and out.strip() == "ok" for w, (out, err) in zip(workers, results)), results
    entries = list((tmp_path / "cache").glob("adjoint_*.py"))
    assert len(entries) == 3 and not list((tmp_path / "cache").glob(".adjoint_*"))
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path / "cache"))
    assert all(cache.load(entry.stem.split("_", 1)[1]) is not None for entry in entries)  # whole, checksummed


KILLED = '''
import os
import numpy as np
import srcgrad
from srcgrad.backend import cache

def f(x):
    return np.sum(x ** 3)

real_replace = os.replace
def die(*args, **kwargs):
    os._exit(9)  # killed between writing the entry and renaming it into place
os.replace = die
srcgrad.grad(f)(np.array([1.0]))
'''


def test_a_writer_killed_mid_write_leaves_nothing_that_is_used(tmp_path):
    (tmp_path / "killed.py").write_text(KILLED)
    env = dict(os.environ, SRCGRAD_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    env.pop("SRCGRAD_CACHE", None)
    done = subprocess.run([sys.executable, "killed.py"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert done.returncode == 9
    assert list((tmp_path / "cache").glob(".adjoint_*.tmp")) and not list((tmp_path / "cache").glob("adjoint_*"))
    again = KILLED.replace("os.replace = die\n", "") + "print(repr(srcgrad.grad(f)(np.array([2.0]))))\n"
    (tmp_path / "again.py").write_text(again)
    out = subprocess.run([sys.executable, "again.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("array([12.])"), out.stderr
