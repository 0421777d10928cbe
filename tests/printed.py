"""Reading what the kiosk printed, as a scanner at the door would: the QR of a badge image, and the QR codes of
each page of a printed sheet (a support module for the tests, not a test module)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import zxingcpp
from PIL import Image
from pypdf import PdfReader


def decode(path_or_image) -> str:
    image = Image.open(path_or_image) if not isinstance(path_or_image, Image.Image) else path_or_image
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    assert (results[0].ec_level, results[0].extra["Version"]) == ("M", "1")
    return results[0].text


def page_scans(path, dpi: int = 200) -> list[list[str]]:
    """The QR codes a scanner reads off each page of the sheet printed at ``dpi``."""
    document = pypdfium2.PdfDocument(path)
    try:
        images = (page.render(scale=dpi / 72).to_pil() for page in document)
        return [[result.text for result in zxingcpp.read_barcodes(image)] for image in images]
    finally:
        document.close()


def pdf_text(path: Path) -> str:
    """The PDF's text as a reader extracts it, with a wrapped cell's lines joined by single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())
