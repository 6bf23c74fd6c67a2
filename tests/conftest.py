"""Test configuration: every pass is followed by the IR verifier, and the disk
cache lives in a fresh directory per session."""

import os
import tempfile

os.environ.setdefault("SRCGRAD_VERIFY", "1")
os.environ["SRCGRAD_CACHE_DIR"] = tempfile.mkdtemp(prefix="srcgrad-test-cache-")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.py from the generator")
