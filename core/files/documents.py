"""Documents (TXT, MD, DOCX, PDF) read locally; their text becomes the prompt.

Documents are never uploaded: the backend takes video, image and audio files
only, so a skill that reads documents sends their text instead. DOCX and PDF
need the `docs` extra; their libraries are imported only when such a file is read.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nemo_skills import protocol
from nemo_skills.errors import DocumentError as DocumentError
from nemo_skills.errors import UnsupportedFileError
from nemo_skills.files.media import extension

# The prompt a chat message can reasonably carry; longer text is refused, not cut silently.
MAX_DOCUMENT_CHARS = 100_000
# Refuse to even open documents beyond this size: extraction would take long and say too much.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

DOCS_EXTRA_HINT = 'Install the document readers with: pip install "nemo-skills[docs]"'

# Tried in order after the BOM checks; latin-1 never fails, so it is last.
_FALLBACK_ENCODINGS = ("utf-8", "cp1252", "latin-1")


def is_document(path: str | Path) -> bool:
    """Whether a file name has a document extension (txt, md, docx, pdf)."""
    return extension(path) in protocol.DOCUMENT_FORMATS


def decode_text(data: bytes) -> str:
    """Decode text bytes: BOM first, then UTF-8, then Windows-1252, then Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # pragma: no cover - latin-1 decodes any byte string


def _read_docx(path: Path) -> str:
    try:
        import docx
    except ImportError as exc:
        raise DocumentError(f"{path.name}: reading DOCX needs python-docx.", action=DOCS_EXTRA_HINT) from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many unrelated types for damaged files
        raise DocumentError(f"{path.name} is not a readable DOCX file ({type(exc).__name__}).") from exc
    lines: list[str] = [p.text for p in document.paragraphs]
    # Tables hold text too (scripts are often written as two-column tables).
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            lines.append(" | ".join(c for c in cells if c))
    return "\n".join(lines)


def _read_pdf(path: Path) -> str:
    try:
        import pypdf
    except ImportError as exc:
        raise DocumentError(f"{path.name}: reading PDF needs pypdf.", action=DOCS_EXTRA_HINT) from exc
    # pypdf logs every repair it makes; the user hears about the document once, from us.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted:
            raise DocumentError(f"{path.name} is an encrypted PDF; save an unencrypted copy and try again.")
        pages: list[str] = []
        total = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            pages.append(text)
            total += len(text)
            if total > MAX_DOCUMENT_CHARS:
                break
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many unrelated types for damaged files
        raise DocumentError(f"{path.name} is not a readable PDF ({type(exc).__name__}).") from exc
    return "\n\n".join(pages)


def _normalise(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    cleaned = "\n".join(lines).strip()
    while "\n\n\n" in cleaned:
        cleaned = cleaned.replace("\n\n\n", "\n\n")
    return cleaned.replace("\x00", "")


def read_document(path: str | Path) -> str:
    """The text of a TXT, MD, DOCX or PDF file, cleaned up; DocumentError when unusable."""
    p = Path(path)
    ext = extension(p)
    if ext not in protocol.DOCUMENT_FORMATS:
        raise UnsupportedFileError(
            f"{p.name}: not a document ({', '.join(protocol.DOCUMENT_FORMATS).upper()} are read)."
        )
    if not p.is_file():
        raise DocumentError(f"{p}: no such file.")
    size = p.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            f"{p.name} is {size // (1024 * 1024)} MB; documents up to "
            f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB are read.",
            action="Split the document, or paste the part that matters as the prompt.",
        )
    if ext in ("txt", "md"):
        text = decode_text(p.read_bytes())
    elif ext == "docx":
        text = _read_docx(p)
    else:
        text = _read_pdf(p)
    text = _normalise(text)
    if not text:
        hint = " (a scanned PDF holds images, not text)" if ext == "pdf" else ""
        raise DocumentError(f"{p.name} contains no text{hint}.")
    if len(text) > MAX_DOCUMENT_CHARS:
        raise DocumentError(
            f"{p.name} has {len(text):,} characters of text; at most {MAX_DOCUMENT_CHARS:,} can be sent.",
            action="Shorten the document, or send the part that matters.",
        )
    return text
