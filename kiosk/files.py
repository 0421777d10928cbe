"""Files the kiosk writes that hold personal data or codes are readable by their owner only, whatever the umask;
folders it makes for them are its owner's only too."""

from __future__ import annotations

import os
from pathlib import Path


def owner_only(path: str, flags: int) -> int:
    """An ``opener`` for ``open()``: the file it creates is 0600 (``open(path, "xb", opener=owner_only)``)."""
    return os.open(path, flags, 0o600)


def private_folder(folder: Path) -> list[Path]:
    """Make ``folder`` and each missing parent 0700 (``mkdir(parents=True)`` gives the parents the umask's mode);
    a folder there already is left as it is.  Returns the folders made, deepest first."""
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    for parent in reversed(missing):
        try:
            parent.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another program
            continue
        os.chmod(parent, 0o700)  # mkdir's mode is masked by the umask; 0700 itself whatever it is
    return missing
