"""What a printed badge shows: the model the badge renderers draw."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core import codes


@dataclass(frozen=True)
class BadgeCard:
    production: str
    ref: str
    name: str
    department: str
    role: str
    code: str
    photo: bytes | None = None  # the person's photo (JPEG), printed beside the name; None prints the card without

    @property
    def code_text(self) -> str:
        return codes.display(self.code)
