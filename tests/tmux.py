"""Driving a program in a real terminal: a private tmux server, keys in, the screen out.

Used by the end-to-end tests and by the terminal benchmarks, so both type and read the same way.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path


class Terminal:
    """One tmux session on a private server, running ``command`` in a pane of a fixed size.

    ``COLUMNS`` and ``LINES`` are removed from the program's environment: under pytest they say 80x24, and Rich
    (so Textual) takes them over the pane's real size.
    """

    def __init__(self, command: list[str], env: dict[str, str], size: tuple[int, int] = (100, 30)):
        self.socket = f"kiosk-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        self._tmux("new-session", "-d", "-s", "kiosk", "-x", str(size[0]), "-y", str(size[1]),
                   f"env -u COLUMNS -u LINES {exports} TERM=xterm-256color {shlex.join(command)}; sleep 600")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "kiosk", *keys)

    def type(self, text: str, gap: float = 0.12) -> None:
        """Type like a person, a key at a time (a burst of keys would be taken for a scanner)."""
        for character in text:
            time.sleep(gap)
            self._tmux("send-keys", "-t", "kiosk", "-l", character)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "kiosk")

    def wait_for(self, text: str, timeout: float = 20) -> str:
        """The screen once ``text`` shows on it; fails with the screen as it is after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.005)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def wait_until_gone(self, text: str, timeout: float = 20) -> str:
        """The screen once ``text`` no longer shows on it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text not in shown:
                return shown
            time.sleep(0.005)
        raise AssertionError(f"{text!r} is still there; the screen shows:\n{shown}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


KIOSK_COMMAND = str(Path(sys.executable).with_name("kiosk"))  # this venv's kiosk


def run_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([KIOSK_COMMAND, *args], env={**os.environ, **env}, check=True, capture_output=True)
