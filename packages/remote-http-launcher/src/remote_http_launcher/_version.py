"""Single source of the package version (read without importlib.metadata, which is slow)."""

__version__ = "0.5.0"
