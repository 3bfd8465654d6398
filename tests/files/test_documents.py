"""Documents read locally for ai-video-maker-sora, and rejected by the other skills."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.errors import DocumentNotSupportedError, ExitCode, FileTooLargeError, UnsupportedFileError
from nemo_skills.files.documents import MAX_DOCUMENT_CHARS, DocumentError, read_document
from nemo_skills.files.media import InputKind
from nemo_skills.jobs.inputs import build_prompt, prepare_input


def make_pdf(path: Path, lines: list[str]) -> Path:
    """A minimal, valid one-page PDF whose text is `lines` (Helvetica, so any reader extracts it)."""
    ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def make_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    """A DOCX with paragraphs and, optionally, a table."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    document.save(str(path))
    return path


def test_txt_utf8_and_md_are_read_as_is(tmp_path: Path) -> None:
    txt = tmp_path / "script.txt"
    txt.write_text("Scene 1: a café at dawn.\r\n\r\n\r\n\r\nScene 2: 城市的黄昏.\n", encoding="utf-8")
    assert read_document(txt) == "Scene 1: a café at dawn.\n\nScene 2: 城市的黄昏."
    md = tmp_path / "notes.md"
    md.write_text("# Title\n\n- a point\n", encoding="utf-8")
    assert read_document(md) == "# Title\n\n- a point"


def test_txt_in_windows_1252_and_utf16_are_decoded(tmp_path: Path) -> None:
    cp = tmp_path / "legacy.txt"
    cp.write_bytes("naïve “quotes” — dash".encode("cp1252"))
    assert read_document(cp) == "naïve “quotes” — dash"
    u16 = tmp_path / "wide.txt"
    u16.write_bytes("hello wide world".encode("utf-16"))  # with a byte order mark
    assert read_document(u16) == "hello wide world"


def test_docx_paragraphs_and_tables_are_read(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "plan.docx", ["Opening shot of the harbour.", "Closing title."], [["Shot", "Drone"]]
    )
    text = read_document(path)
    assert "Opening shot of the harbour." in text
    assert "Closing title." in text
    assert "Shot | Drone" in text


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "brief.pdf", ["A sunset over the bay", "then the city lights"])
    text = read_document(path)
    assert "A sunset over the bay" in text
    assert "then the city lights" in text


def test_empty_and_unreadable_documents_get_clear_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n ", encoding="utf-8")
    with pytest.raises(DocumentError, match="contains no text"):
        read_document(empty)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(DocumentError, match="not a readable PDF"):
        read_document(broken)
    fake_docx = tmp_path / "fake.docx"
    fake_docx.write_bytes(b"PK\x03\x04 not a zip at all")
    with pytest.raises(DocumentError, match="not a readable DOCX"):
        read_document(fake_docx)


def test_overlong_document_is_refused_not_cut(tmp_path: Path) -> None:
    path = tmp_path / "novel.txt"
    path.write_text("word " * (MAX_DOCUMENT_CHARS // 4), encoding="utf-8")
    with pytest.raises(DocumentError, match="at most") as info:
        read_document(path)
    assert info.value.exit_code == ExitCode.BAD_INPUT


def test_sora_sends_the_document_text_as_the_prompt(tmp_path: Path) -> None:
    sora = get_catalog().get("ai-video-maker-sora")
    doc = make_docx(tmp_path / "story.docx", ["A lighthouse keeper watches the storm."])
    prepared = prepare_input(sora, "", [doc])
    assert prepared.media == []
    prompt = build_prompt(sora, prepared, [])
    assert "A lighthouse keeper watches the storm." in prompt
    assert "story.docx" in prompt


@pytest.mark.parametrize(
    "skill", ["nemo-video-gen", "video-leonardo", "free-generator-editor", "generator-by-link"]
)
def test_other_skills_reject_documents_pointing_to_sora(tmp_path: Path, skill: str) -> None:
    doc = tmp_path / "script.txt"
    doc.write_text("a scene", encoding="utf-8")
    with pytest.raises(DocumentNotSupportedError) as info:
        prepare_input(get_catalog().get(skill), "make a video", [doc])
    assert "ai-video-maker-sora" in info.value.user_message()
    assert info.value.exit_code == ExitCode.BAD_INPUT


def test_the_skills_suggested_for_a_document_come_from_the_catalog(tmp_path: Path) -> None:
    doc = tmp_path / "script.txt"
    doc.write_text("a scene", encoding="utf-8")
    registry = tmp_path / "registry.yaml"
    # ai-video-maker-sora is not served here; video-leonardo is told to read documents instead.
    registry.write_text(
        "include_unlisted: false\nskills:\n  nemo-video-gen: {}\n"
        "  video-leonardo:\n    overrides:\n      inputs: [text, image, document]\n",
        encoding="utf-8",
    )
    catalog = get_catalog(registry)
    with pytest.raises(DocumentNotSupportedError) as info:
        prepare_input(catalog.get("nemo-video-gen"), "", [doc], catalog=catalog)
    message = info.value.user_message()
    assert "nemo-skills run video-leonardo --file script.txt" in message
    assert "ai-video-maker-sora" not in message
    assert prepare_input(catalog.get("video-leonardo"), "", [doc], catalog=catalog).document == "a scene"

    no_reader = tmp_path / "no-reader.yaml"
    no_reader.write_text("include_unlisted: false\nskills:\n  nemo-video-gen: {}\n", encoding="utf-8")
    catalog = get_catalog(no_reader)
    with pytest.raises(DocumentNotSupportedError) as none_served:
        prepare_input(catalog.get("nemo-video-gen"), "", [doc], catalog=catalog)
    assert "nemo-skills run" not in none_served.value.user_message()
    assert "a skill that accepts documents" in none_served.value.user_message()


def test_every_template_renders_with_the_same_variables(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    for skill in get_catalog().skills():
        links = ["https://example.com/post"] if skill.accepts(InputKind.URL) else []
        prepared = prepare_input(skill, "a test request", [], links)
        prompt = build_prompt(skill, prepared, ["photo.png"])
        assert prompt.strip()


def test_local_checks_catch_4001_and_4002_before_upload(tmp_path: Path) -> None:
    leonardo = get_catalog().get("video-leonardo")
    bad = tmp_path / "notes.xyz"
    bad.write_bytes(b"whatever")
    with pytest.raises(UnsupportedFileError) as info:
        prepare_input(leonardo, "", [bad])
    assert "mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac" in info.value.user_message()
    liar = tmp_path / "photo.jpg"
    liar.write_text("I am text, not a JPEG", encoding="utf-8")
    with pytest.raises(UnsupportedFileError, match="not an image"):
        prepare_input(leonardo, "", [liar])
    big = tmp_path / "big.png"
    with big.open("wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(leonardo.max_upload_bytes + 1)
    with pytest.raises(FileTooLargeError) as too_big:
        prepare_input(leonardo, "", [big])
    assert "compress" in too_big.value.user_message().lower()
    assert "trim" in too_big.value.user_message().lower()
