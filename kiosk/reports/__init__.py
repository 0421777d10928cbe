"""Rendering the closed-set report (PDF, CSV, JSON) and the roll-call (PDF) from the reports service's model.

Every format is written atomically: into a temporary file beside the target, then moved over it, so a
render that fails leaves no file at all, never half of one.  Reports and roll-calls name people and when they
came and went, so the file is readable by its owner only (0600), whatever the umask, like the database.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from kiosk.errors import RenderError
from kiosk.files import overwrite_problem

if TYPE_CHECKING:  # the command line imports this module for its choices on every run: keep it light
    from kiosk.core.report import Report, RollCall

FORMATS = ("pdf", "csv", "json")
PAPERS = ("a4", "letter")


def write_atomic(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write`` on a temporary file in ``path``'s folder and move it into place only if it succeeds.

    The temporary file is created 0600 (``mkstemp``) and keeps that mode when it replaces ``path``.
    """
    path = Path(path)
    if path.is_dir():
        raise RenderError(f"{path} is a folder: give a file name to write.")
    if not path.parent.is_dir():
        raise RenderError(f"{path.parent} does not exist: create the folder first.")
    if problem := overwrite_problem(path):
        raise RenderError(f"{problem}: give another file name. Nothing was written.")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:
        raise RenderError(f"Cannot write in {path.parent} ({error.strerror}).") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise RenderError(f"Cannot write {path} ({error.strerror or error}); nothing was written.") from None
        raise
    return path


def render(report: Report, path: str | Path, fmt: str, *, paper: str = "a4", bom: bool = False) -> Path:
    """Write ``report`` to ``path`` as ``fmt`` (pdf, csv or json).  ``bom``: CSV only, for spreadsheets."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise RenderError(f"The format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    if paper not in PAPERS:
        raise RenderError(f"The paper must be a4 or letter, not {paper!r}.")
    if bom and fmt != "csv":
        raise RenderError("--bom is for CSV files only.")
    if fmt == "pdf":
        from kiosk.reports.pdf import report_pdf

        return write_atomic(path, lambda handle: handle.write(report_pdf(report, paper)))
    if fmt == "csv":
        from kiosk.reports.csv import write_csv

        return write_atomic(path, lambda handle: write_csv(report, handle, bom=bom))
    from kiosk.reports.json import write_json

    return write_atomic(path, lambda handle: write_json(report, handle))


def render_rollcall(rollcall: RollCall, path: str | Path, *, paper: str = "a4") -> Path:
    """Write the evacuation roll-call to ``path`` as a one-step printable PDF."""
    if paper not in PAPERS:
        raise RenderError(f"The paper must be a4 or letter, not {paper!r}.")
    from kiosk.reports.pdf import rollcall_pdf

    return write_atomic(path, lambda handle: handle.write(rollcall_pdf(rollcall, paper)))
