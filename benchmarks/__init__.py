"""Benchmarks: each script prints a Markdown table; BENCHMARKS.md holds the latest figures."""

import compileall
from pathlib import Path


def compile_kiosk() -> None:
    """Time the kiosk as installed: its bytecode compiled, as a wheel install (and Textual in site-packages)
    has it.  Python does not write bytecode itself where PYTHONDONTWRITEBYTECODE is set or the checkout is
    read-only, and compiling every module at each start would be timed instead of the kiosk."""
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "kiosk", quiet=1)
