"""The version of srcgrad (read by the build, the cache keys and `srcgrad.__version__`)."""

__version__ = "0.1.0"
