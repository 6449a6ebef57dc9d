"""Hostile spreadsheets for the tests: minimal workbooks written by hand, so a test can make them lie.

A lone cell at XFD1048576 (a dimension bomb), a sheet that inflates to a gigabyte while its zip
headers declare a kilobyte (a lying zip bomb), OpenDocument tables whose repeated rows expand.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

MB = 1024 * 1024
# The three cells of issue 11: 17 billion, 26 million and 140 million cells from A1.
DIMENSION_BOMB_CELLS = ("XFD1048576", "Z1000000", "ZZ200000")

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Backlog" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>title</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>effort</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>A-1</t></is></c><c r="B2" t="inlineStr"><is><t>x</t></is></c>'
    '<c r="C2"><v>3</v></c></row>'
)


def sheet_xml(body: str, dimension: str | None = None) -> bytes:
    """A worksheet part holding ``body`` as its sheetData."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return SHEET_HEAD + f"{dim}<sheetData>{body}</sheetData></worksheet>".encode()


def cell(ref: str, body: str = "<v>1</v>", attributes: str = "") -> str:
    """A row holding one cell at ``ref``."""
    row = re.sub(r"[A-Za-z]", "", ref)
    return f'<row r="{row}"><c r="{ref}"{attributes}>{body}</c></row>'


def workbook_parts(sheet: bytes) -> dict[str, bytes]:
    return {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet,
    }


def zip_bytes(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def write_workbook(path: Path, sheet: bytes) -> Path:
    path.write_bytes(zip_bytes(workbook_parts(sheet)))
    return path


def lying_zip_bomb(path: Path, inflated_mb: int, declared: int = 1000) -> Path:
    """An xlsx whose sheet inflates to ``inflated_mb`` MB while its zip headers declare ``declared`` bytes.

    The sheet is deflated for real, streamed: one block is compressed once and repeated (after a full
    flush no block refers to another), so building it costs milliseconds and no memory. The CRC is
    that of the declared bytes, so a reader that trusts the sizes sees a consistent, tiny part.
    """
    head = SHEET_HEAD + b"<sheetData>"
    unit = b"".join(b'<row r="1"><c r="A1" t="inlineStr"><is><t>padding</t></is></c></row>' for _ in range(16_384))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == again  # the repeated block stands alone
    last = compressor.compress(b"</sheetData></worksheet>") + compressor.flush()
    repeats = inflated_mb * MB // len(unit) + 1
    directory = []
    with path.open("wb") as out:

        def member(name: bytes, pieces, crc: int, size: int) -> None:
            offset = out.tell()
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, 0, size, len(name), 0) + name)
            start = out.tell()
            for piece in pieces:
                out.write(piece)
            compressed = out.tell() - start
            out.seek(offset + 18)
            out.write(struct.pack("<I", compressed))
            out.seek(0, 2)
            directory.append((name, crc, compressed, size, offset))

        for name, content in workbook_parts(b"").items():
            if name.startswith("xl/worksheets"):
                continue
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            member(name.encode(), [packer.compress(content) + packer.flush()], zlib.crc32(content), len(content))
        declared_crc = zlib.crc32((head + unit)[:declared])
        member(b"xl/worksheets/sheet1.xml", [first, *([block] * repeats), last], declared_crc, declared)
        start = out.tell()
        for name, crc, compressed, size, offset in directory:
            out.write(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0,
                    8,
                    0,
                    0x21,
                    crc,
                    compressed,
                    size,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + name
            )
        end = out.tell()
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory), end - start, start, 0))
    return path


def ods_bytes(rows: str) -> bytes:
    """A minimal OpenDocument spreadsheet with one table, ``Backlog``, of ``rows``."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="Backlog">{rows}</table:table></office:spreadsheet>'
        "</office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def ods_cell(text: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


ODS_HEADER = "<table:table-row>" + "".join(ods_cell(text) for text in ("id", "title", "effort")) + "</table:table-row>"
