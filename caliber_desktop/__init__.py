"""Caliber Desktop: score the sites of an ad-performance report and build allow/block lists."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("caliber-desktop")
except PackageNotFoundError:  # running from a source tree or a frozen bundle without metadata
    __version__ = "0.1.0"
