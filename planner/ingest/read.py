"""Read spreadsheet files into plain grids of cells, losing nothing and guessing nothing silently.

A file is recognised by its content, not its name: an Excel workbook (xlsx, xlsm, xls, xlsb, ods: read
with calamine, formula cells through their cached values), or delimited text (CSV, semicolon or tab
separated; UTF-8 with or without BOM, UTF-16 with or without BOM, else Windows-1252, every guess said
in a warning). Every cell comes back as text (CSV) or as calamine's typed value (workbooks); rows keep
the numbers the user sees in a spreadsheet.

Hostile workbooks are refused before calamine touches them (:mod:`planner.ingest.workbook`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import BinaryIO, cast

from planner.ingest.grid import MAX_ROWS, MAX_SHEET_CELLS, Grid
from planner.ingest.workbook import (
    CHILD_MEMORY_BYTES,
    CHILD_TIMEOUT_SECONDS,
    MAX_UNCOMPRESSED_BYTES,
    read_in_child,
    read_workbook,
    too_many_rows,
)
from planner.input_problems import ERROR, WARNING, Problem

__all__ = [
    "CHILD_MEMORY_BYTES",
    "CHILD_TIMEOUT_SECONDS",
    "MAX_ROWS",
    "MAX_SHEET_CELLS",
    "MAX_UNCOMPRESSED_BYTES",
    "Grid",
    "Source",
    "read_grids",
    "source_name",
]

Source = str | Path | bytes | BinaryIO

_SNIFF_RECORDS = 60
_DELIMITERS = (",", ";", "\t", "|")


def source_name(source: Source, name: str | None = None) -> str:
    """The file name to show in messages: ``name`` when given, else the path's name."""
    if name:
        return name
    if isinstance(source, (str, Path)):
        return Path(source).name
    return getattr(source, "name", None) or "uploaded file"


def read_grids(source: Source, name: str | None = None) -> tuple[list[Grid], list[Problem]]:
    """Read every sheet of ``source`` (one grid for CSV); problems say why nothing could be read."""
    file = source_name(source, name)
    try:
        data = _read_bytes(source)
    except OSError as exc:
        return [], [Problem(ERROR, f"cannot open the file: {exc.strerror or exc}", file)]
    if not data.strip():
        return [], [Problem(ERROR, "the file is empty: export it again with its header row and items", file)]
    kind = _sniff_kind(data)
    if kind == "zip":
        return read_workbook(data, file)
    if kind == "ole":
        return read_in_child(data, file, merged_ok=False)
    if kind == "binary":
        return [], [
            Problem(
                ERROR,
                "this is not a spreadsheet (neither an Excel workbook nor CSV text); "
                "save it from your tool as .xlsx or .csv and upload that",
                file,
            )
        ]
    problems: list[Problem] = []
    if Path(file).suffix.lower() in {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}:
        problems.append(
            Problem(WARNING, "the file is named like an Excel workbook but holds plain text: read it as CSV", file)
        )
    grid, text_problems = _read_text(data, file)
    return ([grid] if grid else []), problems + text_problems


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (str, Path)):
        return Path(source).read_bytes()
    if hasattr(source, "seek"):
        source.seek(0)
    return source.read()


# Files that are certainly not text even when their first bytes look printable (a PDF's header is).
_BINARY_SIGNATURES = (
    b"%PDF-",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!\x1a",
    b"\xfd7zXZ",
    b"\x7fELF",
    b"II*\x00",
    b"MM\x00*",
)


def _sniff_kind(data: bytes) -> str:
    """``zip``, ``ole``, ``binary`` or ``text``, from the content alone."""
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "text"
    if data.startswith(_BINARY_SIGNATURES):
        return "binary"
    head = data[:4096]
    if _bomless_utf16(head):
        return "text"
    # Text has few control characters; PDFs, images and zips have many. A stray NUL (a tool's glitch)
    # does not make a CSV binary, so NULs count apart: a few are dropped later, with a warning.
    if head.count(0) > max(1, len(head) // 100):
        return "binary"
    controls = sum(1 for byte in head if 0 < byte < 9 or 13 < byte < 32)
    return "binary" if controls > len(head) // 100 else "text"


def _bomless_utf16(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the bytes are UTF-16 text without a byte-order mark.

    Latin-script text in UTF-16 has a NUL in every other byte (the high byte of each character), and
    binary files do not keep to that rhythm.
    """
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even_nuls = head[0 : pairs * 2 : 2].count(0)
    odd_nuls = head[1 : pairs * 2 : 2].count(0)
    if odd_nuls >= pairs * 0.6 and even_nuls <= pairs * 0.02:
        return "utf-16-le"
    if even_nuls >= pairs * 0.6 and odd_nuls <= pairs * 0.02:
        return "utf-16-be"
    return None


# --- CSV and other delimited text --------------------------------------------------------------


def _decode(data: bytes, file: str) -> tuple[str, str, list[Problem]]:
    """Decode text bytes; only a non-UTF encoding is a guess, and the guess is said."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return _decode_utf16(data, "utf-16", file, [])
    assumed = _bomless_utf16(data[:4096])
    if assumed:
        order = "little" if assumed.endswith("le") else "big"
        return _decode_utf16(
            data,
            assumed,
            file,
            [
                Problem(
                    WARNING,
                    f"the file has no byte-order mark but its bytes are UTF-16 text ({order}-endian): read it as "
                    f"{assumed.upper()}. If the text looks wrong, save it as 'CSV UTF-8' and upload again",
                    file,
                )
            ],
        )
    problems = []
    offset = 0
    if data[:3] == b"\xef\xbb\xbf":
        # The BOM says UTF-8 even when a later byte is not: drop it, whatever encoding the rest turns out.
        data, offset = data[3:], 3
    raw = data
    if b"\x00" in data:
        data, nul_problem = _drop_nuls(data, file)
        problems.append(nul_problem)
    try:
        return data.decode("utf-8"), "utf-8-sig" if offset else "utf-8", problems
    except UnicodeDecodeError as exc:
        first_bad = exc.start  # in the text without NULs; cp1252 keeps one character a byte
    try:
        text = data.decode("cp1252")
        encoding = "cp1252"
        label = "Windows-1252 (what Excel on Windows writes)"
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        encoding = "latin-1"
        label = "Latin-1"
    sample = text[max(0, first_bad - 15) : first_bad + 15].replace("\n", " ")
    in_file = offset + (_first_non_utf8(raw) if raw is not data else first_bad)
    mark = " starts with a UTF-8 byte-order mark but" if offset else ""
    return (
        text,
        encoding,
        problems
        + [
            Problem(
                WARNING,
                f"the file{mark} is not UTF-8 (first non-UTF-8 byte at offset {in_file}, near '{sample}'); "
                f"read as {label}. If accents look wrong, save it as 'CSV UTF-8' and upload again",
                file,
            )
        ],
    )


def _first_non_utf8(data: bytes) -> int:
    """Offset of the first byte that is not UTF-8 (the data is known to hold one)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return len(data)


def _decode_utf16(data: bytes, encoding: str, file: str, problems: list[Problem]) -> tuple[str, str, list[Problem]]:
    """UTF-16 text; a damaged tail (odd length, a lone surrogate) is replaced and said, not fatal."""
    try:
        return data.decode(encoding), encoding, problems
    except UnicodeDecodeError as exc:
        text = data.decode(encoding, errors="replace")
        return (
            text,
            encoding,
            problems
            + [
                Problem(
                    WARNING,
                    f"the UTF-16 text is damaged from byte {exc.start} on; unreadable characters show as '\ufffd'. "
                    "Export the file again",
                    file,
                )
            ],
        )


def _drop_nuls(data: bytes, file: str) -> tuple[bytes, Problem]:
    """Remove NUL bytes (no text holds them) and say on which lines they were."""
    lines: list[int] = []
    at = data.find(b"\x00")
    while at >= 0 and len(lines) < 5:
        line = data.count(b"\n", 0, at) + 1
        if line not in lines:
            lines.append(line)
        at = data.find(b"\x00", at + 1)
    count = data.count(b"\x00")
    where = ", ".join(map(str, lines)) + (" ..." if at >= 0 and count > len(lines) else "")
    return data.replace(b"\x00", b""), Problem(
        WARNING,
        f"the file holds {count} NUL byte(s), which text never does (line {where}); they were dropped. "
        "If a value there looks cut or joined, export the file again",
        file,
        row=lines[0],
    )


def _read_text(data: bytes, file: str) -> tuple[Grid | None, list[Problem]]:
    text, encoding, problems = _decode(data, file)
    delimiter, ambiguous = _sniff_delimiter(text)
    if ambiguous:
        problems.append(
            Problem(
                WARNING,
                f"the separator could be {' or '.join(repr(d) for d in ambiguous)}; "
                f"read with {delimiter!r}. Check the columns found below",
                file,
            )
        )
    rows: list[list[str]] = []
    cells = 0
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False):
            rows.append(record)
            cells += len(record)
            # Stop early: a 20 MB file of short rows is millions of them, each reported further on.
            if len(rows) > MAX_ROWS:
                return None, problems + [Problem(ERROR, too_many_rows("the file", len(rows)), file)]
            if cells > MAX_SHEET_CELLS:
                return None, problems + [
                    Problem(
                        ERROR,
                        f"the file holds more than {MAX_SHEET_CELLS:,} cells (row {len(rows)} reaches it), more "
                        "than a backlog needs: export only the needed columns and rows",
                        file,
                        None,
                        len(rows),
                    )
                ]
    except csv.Error as exc:
        return None, problems + [Problem(ERROR, f"the text cannot be read as CSV: {exc}", file)]
    # Text cells widened to object: the grid's rows are only read, never given other values.
    grid_rows = cast(list[list[object]], rows)
    return Grid(file, None, grid_rows, "csv", encoding=encoding, delimiter=delimiter), problems


def _sniff_delimiter(text: str) -> tuple[str, list[str]]:
    """Pick the separator that splits the first records into the most consistent, widest table.

    Returns the chosen separator and, when another one fits as well, every equally good candidate.
    """
    scores = {}
    for delimiter in _DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        widths = []
        try:
            for record in reader:
                if any(cell.strip() for cell in record):
                    widths.append(len(record))
                if len(widths) >= _SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if not widths:
            continue
        width = max(set(widths), key=widths.count)
        if width < 2:
            continue
        consistency = widths.count(width) / len(widths)
        scores[delimiter] = (round(consistency, 2), width)
    if not scores:
        return ",", []
    best = max(scores.values())
    winners = [d for d in _DELIMITERS if scores.get(d) == best]
    # Comma wins a tie only if no other delimiter splits a line too: a tie between ',' and ';'
    # (one column each way) is a real ambiguity and is reported.
    return winners[0], (winners if len(winners) > 1 else [])
