"""Read spreadsheet files into plain grids of cells, losing nothing and guessing nothing silently.

A file is recognised by its content, not its name: an Excel workbook (xlsx, xlsm, xls, xlsb, ods: read
with calamine, formula cells through their cached values), or delimited text (CSV, semicolon or tab
separated; UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252, said in a warning). Every
cell comes back as text (CSV) or as calamine's typed value (xlsx); rows keep the numbers the user sees
in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Union

import python_calamine
from defusedxml import ElementTree

from planner.problems import ERROR, WARNING, Problem

__all__ = ["Source", "Grid", "read_grids", "source_name", "MAX_UNCOMPRESSED_BYTES"]

Source = Union[str, Path, bytes, BinaryIO]

# A planning spreadsheet is small; a zip that inflates past this is a zip bomb, not a backlog.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
_SNIFF_RECORDS = 60
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class Grid:
    """One sheet (or one CSV file) as rows of cells; ``rows[i]`` is spreadsheet row ``i + 1``."""

    file: str
    sheet: str | None
    rows: list[list[object]]
    kind: str  # "xlsx" | "csv"
    encoding: str | None = None
    delimiter: str | None = None
    # (first_row, first_col, last_row, last_col), 0-based inclusive, as calamine reports them.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


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
        return _read_workbook(data, file)
    if kind == "ole":
        return _read_calamine(data, file, merged_ok=False)
    if kind == "binary":
        return [], [Problem(
            ERROR,
            "this is not a spreadsheet (neither an Excel workbook nor CSV text); "
            "save it from your tool as .xlsx or .csv and upload that",
            file,
        )]
    problems: list[Problem] = []
    if Path(file).suffix.lower() in {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}:
        problems.append(Problem(
            WARNING, "the file is named like an Excel workbook but holds plain text: read it as CSV", file
        ))
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


def _sniff_kind(data: bytes) -> str:
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "text"
    head = data[:4096]
    # Text files have no NUL bytes and few control characters; PDFs, images and zips do.
    if b"\x00" in head:
        return "binary"
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return "binary" if controls > len(head) // 100 else "text"


# --- Excel -------------------------------------------------------------------------------------

def _read_workbook(data: bytes, file: str) -> tuple[list[Grid], list[Problem]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return [], [Problem(ERROR, "the workbook is damaged (not a readable zip archive): save it again", file)]
    if inflated > MAX_UNCOMPRESSED_BYTES:
        return [], [Problem(
            ERROR,
            f"the workbook unpacks to {inflated // (1024 * 1024)} MB, far more than a backlog needs; "
            "it was not opened (save only the needed sheets, or export CSV)",
            file,
        )]
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names and "content.xml" not in names and "xl/workbook.bin" not in names:
        return [], [Problem(ERROR, "this zip file is not an Excel workbook: upload an .xlsx or .csv file", file)]
    grids, problems = _read_calamine(data, file, merged_ok=True)
    if "xl/workbook.xml" in names:
        problems += _formulas_without_values(archive, file)
    return grids, problems


def _read_calamine(data: bytes, file: str, merged_ok: bool) -> tuple[list[Grid], list[Problem]]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = []
        for meta in workbook.sheets_metadata:
            sheet = workbook.get_sheet_by_name(meta.name)
            merged = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])] if merged_ok else []
            grids.append(Grid(file, meta.name, sheet.to_python(skip_empty_area=False), "xlsx", merged=merged))
        return grids, []
    except Exception as exc:  # calamine raises its own error types for every damaged-file case
        return [], [Problem(ERROR, f"the workbook cannot be read ({exc}): open it in Excel and save it again", file)]


_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)


def _formulas_without_values(archive: zipfile.ZipFile, file: str) -> list[Problem]:
    """Warn about formula cells saved without a computed value (they read as blank)."""
    problems = []
    for sheet_name, path in _sheet_paths(archive).items():
        try:
            xml = archive.read(path)
        except KeyError:
            continue
        if b"<f" not in xml:
            continue
        cells = [match.decode() for match in _FORMULA_WITHOUT_VALUE.findall(xml)]
        if cells:
            shown = ", ".join(cells[:10]) + (" ..." if len(cells) > 10 else "")
            problems.append(Problem(
                WARNING,
                f"{len(cells)} formula cell(s) have no saved value and read as blank ({shown}); "
                "open the file in Excel and save it so the values are stored",
                file,
                sheet_name,
            ))
    return problems


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map sheet names to their XML part inside an xlsx archive."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # a workbook without the usual parts: skip this optional check
        return {}
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    paths = {}
    for sheet in workbook.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        rel_id = next((value for key, value in sheet.attrib.items() if key.endswith("}id")), None)
        target = targets.get(rel_id, "")
        if target:
            paths[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


# --- CSV and other delimited text --------------------------------------------------------------

def _decode(data: bytes, file: str) -> tuple[str, str, list[Problem]]:
    """Decode text bytes; only a non-UTF encoding is a guess, and the guess is said."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16", []
    if data[:3] == b"\xef\xbb\xbf":
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("cp1252")
        encoding = "cp1252"
        label = "Windows-1252 (what Excel on Windows writes)"
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        encoding = "latin-1"
        label = "Latin-1"
    sample = text[max(0, first_bad - 15): first_bad + 15].replace("\n", " ")
    return text, encoding, [Problem(
        WARNING,
        f"the file is not UTF-8 (first non-UTF-8 byte at offset {first_bad}, near '{sample}'); "
        f"read as {label}. If accents look wrong, save it as 'CSV UTF-8' and upload again",
        file,
    )]


def _read_text(data: bytes, file: str) -> tuple[Grid | None, list[Problem]]:
    text, encoding, problems = _decode(data, file)
    delimiter, ambiguous = _sniff_delimiter(text)
    if ambiguous:
        problems.append(Problem(
            WARNING,
            f"the separator could be {' or '.join(repr(d) for d in ambiguous)}; "
            f"read with {delimiter!r}. Check the columns found below",
            file,
        ))
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    except csv.Error as exc:
        return None, problems + [Problem(ERROR, f"the text cannot be read as CSV: {exc}", file)]
    return Grid(file, None, rows, "csv", encoding=encoding, delimiter=delimiter), problems


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
