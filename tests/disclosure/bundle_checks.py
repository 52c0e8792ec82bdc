"""What a disclosure bundle must not contain, checked four ways: pypdf's text extraction, a byte
search of the file, a byte search of every stream decompressed (pikepdf), and Tesseract reading
the bundle's pages rendered afresh."""

from __future__ import annotations

import io

import pikepdf
import pypdf
import pypdfium2 as pdfium
import pytesseract


def extracted_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def decompressed_streams(pdf: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        streams = []
        for obj in document.objects:
            if isinstance(obj, pikepdf.Stream):
                streams.append(obj.read_bytes())
        return streams


def ocr_of_pages(pdf: bytes, dpi: int = 300) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            texts.append(pytesseract.image_to_string(bitmap.to_pil()))
            bitmap.close()
        return "\n".join(texts)
    finally:
        document.close()


def structure_names(pdf: bytes) -> set[str]:
    """Every dictionary key in the file (to find /Annots, /EmbeddedFiles, /JavaScript ...)."""
    names: set[str] = set()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                names.update(str(key) for key in obj.keys())  # noqa: SIM118 (a pikepdf object iterates its items)
    return names


def assert_absent(pdf: bytes, word: str) -> None:
    lowered = word.casefold()
    assert lowered not in extracted_text(pdf).casefold()
    for form in {word, word.upper(), word.lower()}:
        assert form.encode("latin-1") not in pdf
        assert form.encode("utf-16-be") not in pdf
        for stream in decompressed_streams(pdf):
            assert form.encode("latin-1") not in stream
            assert form.encode("utf-16-be") not in stream
    assert lowered not in ocr_of_pages(pdf).casefold()
    names = structure_names(pdf)
    for key in ("/Annots", "/EmbeddedFiles", "/JavaScript", "/AcroForm", "/AA", "/S", "/URI"):
        assert key not in names
    with pikepdf.open(io.BytesIO(pdf)) as document:
        # fpdf2 writes a destination (first page, fit width), never an action
        opening = document.Root.get("/OpenAction")
        assert opening is None or isinstance(opening, pikepdf.Array)
        assert "/Metadata" not in document.Root
