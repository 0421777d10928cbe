"""Files the kiosk writes that hold personal data or codes are readable by their owner only, whatever the umask."""

from __future__ import annotations

import os


def owner_only(path: str, flags: int) -> int:
    """An ``opener`` for ``open()``: the file it creates is 0600 (``open(path, "xb", opener=owner_only)``)."""
    return os.open(path, flags, 0o600)
