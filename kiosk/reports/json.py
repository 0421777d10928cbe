"""The report as JSON: the model as it is, times ISO 8601 with their offset.  Shape: docs/report-json.md."""

from __future__ import annotations

import dataclasses
import functools
import io
import json
from datetime import datetime
from typing import Any, BinaryIO

from kiosk.core.report import Report

VERSION = 1


@functools.cache
def _names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def plain(value: Any) -> Any:
    """Dataclasses, tuples and datetimes as JSON values."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _names(type(value))}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def as_dict(report: Report) -> dict:
    data = {"format": "closed-set-report", "version": VERSION, "title": report.title, **plain(report)}
    for section, scene in zip(data["scenes"], report.scenes):
        section["summary"] = {
            label.lower().replace(" ", "_").replace("-", "_"): count for label, count in scene.summary()
        }
        section["peak"] = {"count": scene.peak, "at": plain(scene.peak_at)}
        del section["peak_at"]
    return data


def write_json(report: Report, handle: BinaryIO) -> None:
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="\n")
    text.write(json.dumps(as_dict(report), ensure_ascii=False, separators=(",", ":")))  # dumps: the C encoder
    text.write("\n")
    text.flush()
    text.detach()
