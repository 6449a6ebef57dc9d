"""Read Excel and OpenDocument workbooks with calamine, refusing hostile ones before calamine touches them.

Calamine cannot be stopped once it has started: it allocates the whole rectangle from the first to the
last cell of a sheet (32 bytes a cell, and the rows are then filled from A1), so one stray cell at
XFD1048576 asks for 512 GB and aborts the process. For xlsx/xlsm the worksheet XML is stream-scanned
first and the area calamine would allocate is bounded (:data:`MAX_SHEET_CELLS`); every zip member is
inflated by streaming, trusting none of the sizes the archive declares (:data:`MAX_UNCOMPRESSED_BYTES`).
Formats that cannot be bounded so cheaply (xls, xlsb, ods, whose ``number-rows-repeated`` expands) are
read by calamine in a child process with a memory limit (:data:`CHILD_MEMORY_BYTES`) and a timeout, so
an abort ends only the child.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import cast
from xml.parsers import expat

import python_calamine
from defusedxml import ElementTree

from planner.ingest.grid import MAX_ROWS, MAX_SHEET_CELLS, Grid
from planner.input_problems import ERROR, WARNING, Problem

__all__ = [
    "CHILD_MEMORY_BYTES",
    "CHILD_TIMEOUT_SECONDS",
    "MAX_SHEET_CELLS",
    "MAX_UNCOMPRESSED_BYTES",
    "read_in_child",
    "read_workbook",
]

# A planning spreadsheet is small; a zip that inflates past this (counted as it really inflates, never
# as the archive declares) is a zip bomb, not a backlog. A 50,000-row x 60-column export is ~155 MB.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# xls, xlsb and ods are read in a child process limited to this much address space, for this long.
CHILD_MEMORY_BYTES = 1024 * 1024 * 1024
CHILD_TIMEOUT_SECONDS = 60
# A workbook has tens of parts; a central directory this big holds ~40,000 and would cost Python (and
# calamine) hundreds of bytes each before a single cell is read.
_MAX_ZIP_DIRECTORY_BYTES = 2 * 1024 * 1024
_CHUNK = 1 << 20  # inflate and scan a megabyte at a time
_KEEP_PART_BYTES = 16 * 1024 * 1024  # a sheet part this small is kept from the size check for the scan
_MAX_CARRY = 16 * 1024 * 1024  # bytes without a cell boundary before the scan switches to the XML parser
_MB = 1024 * 1024


class _Refused(Exception):
    """A workbook refused before calamine opened it; ``args[0]`` is the message, ``args[1]`` the sheet."""


def read_workbook(data: bytes, file: str) -> tuple[list[Grid], list[Problem]]:
    """Check the archive and every sheet's extent, then read it with calamine (here, or in a child)."""
    try:
        infos = _zip_members(data)
    except _Refused as refused:
        return [], [Problem(ERROR, refused.args[0], file)]
    names = {_part_key(info.filename) for info in infos}
    if not names & {"xl/workbook.xml", "content.xml", "xl/workbook.bin"}:
        return [], [Problem(ERROR, "this zip file is not an Excel workbook: upload an .xlsx or .csv file", file)]
    try:
        kept = _check_inflated_size(data, infos)
        if names & {"content.xml", "mimetype", "xl/workbook.bin"}:
            # calamine tries xlsx, then xlsb, then ods: any of the other two parts present may be what
            # it reads, and those cannot be bounded here, so the child process reads the file.
            return read_in_child(data, file, merged_ok=True)
        formulas = _check_sheet_extents(data, infos, kept)
    except _Refused as refused:
        sheet = refused.args[1] if len(refused.args) > 1 else None
        return [], [Problem(ERROR, refused.args[0], file, sheet)]
    grids, problems = _read_calamine(data, file)
    if grids:
        problems += [
            Problem(
                WARNING,
                f"{len(cells)} formula cell(s) have no saved value and read as blank ({_shown(cells)}); "
                "open the file in Excel and save it so the values are stored",
                file,
                sheet,
            )
            for sheet, cells in formulas.items()
        ]
    return grids, problems


def _shown(cells: list[str]) -> str:
    return ", ".join(cells[:10]) + (" ..." if len(cells) > 10 else "")


def _part_key(name: str) -> str:
    """A part name as calamine matches it: case-insensitive, backslashes as slashes."""
    return name.replace("\\", "/").lower()


def _zip_members(data: bytes) -> list[zipfile.ZipInfo]:
    """The archive's members, refusing damaged archives and central directories no workbook needs."""
    directory = _central_directory_bytes(data)
    if directory is not None and directory > _MAX_ZIP_DIRECTORY_BYTES:
        raise _Refused(
            f"the workbook lists {directory // 1024} KB of parts, far more than a backlog needs; "
            "it was not opened (save only the needed sheets, or export CSV)"
        )
    try:
        return zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception:  # zipfile raises BadZipFile, ValueError, OverflowError ... on damaged archives
        raise _Refused("the workbook is damaged (not a readable zip archive): save it again") from None


def _central_directory_bytes(data: bytes) -> int | None:
    """The central directory's size from the end record (zip64 too), before anything parses it.

    Two end records are refused: zip readers disagree on which one counts, and calamine's (Rust)
    could then read parts this module never checked.
    """
    tail = max(0, len(data) - 65_557)
    at = data.rfind(b"PK\x05\x06", tail)
    if data.count(b"PK\x05\x06", tail) > 1:
        raise _Refused("the workbook is damaged (it has two zip directories): open it in Excel and save it again")
    if at < 0 or at + 22 > len(data):
        return None
    size = struct.unpack_from("<I", data, at + 12)[0]
    locator = at - 20
    if size == 0xFFFFFFFF and locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        record = struct.unpack_from("<Q", data, locator + 8)[0]
        if data[record : record + 4] == b"PK\x06\x06" and record + 56 <= len(data):
            size = struct.unpack_from("<Q", data, record + 40)[0]
    return size


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes, a megabyte at a time, read from its local header on.

    Sizes in the headers can lie (a zip bomb declares 1 KB for a 300 MB sheet), so a deflated member
    is inflated until its own stream ends, and a stored one is cut at the end of the file.
    """
    offset = info.header_offset
    if data[offset : offset + 4] != b"PK\x03\x04" or offset + 30 > len(data):
        raise _Refused(f"the workbook is damaged (part {info.filename} cannot be found): save it again")
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_length + extra_length
    view = memoryview(data)
    if info.compress_type == zipfile.ZIP_STORED:
        end = min(len(data), start + info.compress_size)
        for at in range(start, end, _CHUNK):
            yield bytes(view[at : min(end, at + _CHUNK)])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise _Refused(
            f"the workbook's part {info.filename} is packed with a method Excel does not use "
            f"(zip method {info.compress_type}): open it in Excel and save it again"
        )
    inflater = zlib.decompressobj(-15)
    position = start
    while True:
        if inflater.unconsumed_tail:
            source: bytes | memoryview = inflater.unconsumed_tail
        else:
            source = view[position : position + 65_536]
            position += len(source)
        try:
            out = inflater.decompress(source, _CHUNK)
        except zlib.error:
            return  # a damaged stream: calamine stops at the same byte and reports the damage
        if out:
            yield out
        if inflater.eof or (not out and not len(source)):
            return


def _check_inflated_size(data: bytes, infos: list[zipfile.ZipInfo]) -> dict[str, list[bytes]]:
    """Inflate every member, stopping at :data:`MAX_UNCOMPRESSED_BYTES` over the whole archive.

    Returns the small sheet parts' bytes, so the extent scan does not inflate them a second time.
    """
    total = 0
    kept: dict[str, list[bytes]] = {}
    for info in infos:
        chunks: list[bytes] | None = [] if _is_sheet_part(info.filename) else None
        size = 0
        for chunk in _inflate(data, info):
            total += len(chunk)
            size += len(chunk)
            if total > MAX_UNCOMPRESSED_BYTES:
                lie = f"; part {info.filename} declares {info.file_size:,} bytes" if size > info.file_size else ""
                raise _Refused(
                    f"the workbook unpacks to more than {MAX_UNCOMPRESSED_BYTES // _MB} MB{lie}: far more than "
                    "a backlog needs, so it was not opened (save only the needed sheets, or export CSV)"
                )
            if chunks is not None and size <= _KEEP_PART_BYTES:
                chunks.append(chunk)
            else:
                chunks = None
        if chunks is not None:
            kept[info.filename] = chunks
    return kept


def _is_sheet_part(name: str) -> bool:
    """Whether calamine could read this member as a worksheet (``xl/worksheets/...`` in any case)."""
    parts = _part_key(name).split("/")
    return len(parts) >= 2 and parts[0] == "xl" and parts[1] in {"worksheets", "chartsheets", "dialogsheets"}


@dataclass
class _Extent:
    """What a sheet part holds: the last row and column with a value, how many values, the cells seen."""

    rows: int = 0
    columns: int = 0
    cells: int = 0
    row_cell: str = ""
    column_cell: str = ""
    formulas: list[str] = field(default_factory=list)

    @property
    def area(self) -> int:
        """Cells calamine lays out for the sheet: A1 to the last row and column."""
        return self.rows * self.columns

    @property
    def fits(self) -> bool:
        return self.area <= MAX_SHEET_CELLS and self.cells <= MAX_SHEET_CELLS and self.rows <= MAX_ROWS

    def see(self, row: int, column: int) -> None:
        self.cells += 1
        if row > self.rows:
            self.rows, self.row_cell = row, f"{_column_name(column)}{row}"
        if column > self.columns:
            self.columns, self.column_cell = column, f"{_column_name(column)}{row}"


def _check_sheet_extents(
    data: bytes, infos: list[zipfile.ZipInfo], kept: dict[str, list[bytes]]
) -> dict[str, list[str]]:
    """Refuse a sheet whose cells reach too far; return each sheet's formula cells without a value."""
    names = _sheet_names(data, infos, kept)
    formulas: dict[str, list[str]] = {}
    for info in infos:
        if not _is_sheet_part(info.filename):
            continue

        def chunks(info: zipfile.ZipInfo = info) -> Iterator[bytes]:
            return iter(kept[info.filename]) if info.filename in kept else _inflate(data, info)

        extent = _sheet_extent(chunks)
        sheet = names.get(info.filename)
        if not extent.fits:
            raise _Refused(_too_far_message(extent, sheet or info.filename), sheet)
        if extent.formulas and sheet is not None:
            formulas[sheet] = extent.formulas
    return formulas


def _too_far_message(extent: _Extent, sheet: str) -> str:
    if extent.area > MAX_SHEET_CELLS:
        if extent.row_cell == extent.column_cell:
            where = f"has a cell at {extent.row_cell}"
        else:
            where = f"has cells as far as {extent.column_cell} and {extent.row_cell}"
        corner = f"{_column_name(extent.columns)}{extent.rows}"
        return (
            f"sheet '{sheet}' {where}, far outside a backlog's area ({_how_many(extent.area)} cells from A1 "
            f"to {corner}; the limit is {_how_many(MAX_SHEET_CELLS)}): delete the stray cell, rows or "
            "columns (Ctrl+End in Excel shows the last cell) and save, or export the sheet as CSV"
        )
    if extent.rows > MAX_ROWS:
        return too_many_rows(f"sheet '{sheet}'", extent.rows)
    return (
        f"sheet '{sheet}' holds {extent.cells:,} cells, more than a backlog needs (the limit is "
        f"{_how_many(MAX_SHEET_CELLS)}): save only the needed rows and columns, or export the sheet as CSV"
    )


def too_many_rows(where: str, rows: int) -> str:
    """The message for a sheet or file longer than :data:`MAX_ROWS`."""
    return (
        f"{where} has {rows:,} rows or more, more than the {MAX_ROWS:,} a backlog may have: filter the export "
        "to the items worth planning (open ones, this quarter's), or split it"
    )


def _how_many(count: int) -> str:
    """A count as people read it: exact up to 100 million (it is compared with the limit), then rounded."""
    if count >= 10**9:
        return f"{count / 10**9:.0f} billion"
    if count >= 10**8:
        return f"{count / 10**6:.0f} million"
    return f"{count:,}"


def _column_name(number: int) -> str:
    """Spreadsheet column letters of a 1-based column number: 1 -> A, 16384 -> XFD."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


# Any attribute r="<letters><digits>", wherever it stands: calamine places a cell by the raw value of
# its (last) r attribute and refuses any other shape, so every value it can use is among these.
_CELL_REF = re.compile(rb"r\s*=\s*[\"']([A-Za-z]+)([0-9]+)[\"']")
_CELL_OPEN = re.compile(rb"<c[\s/>]")
_PREFIXED_CELL_OPEN = re.compile(rb":c[\s/>]")
_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>'
)


class _NeedsParser(Exception):
    """The fast scan cannot vouch for this part; the XML parser reads it."""


def _sheet_extent(chunks: Callable[[], Iterator[bytes]]) -> _Extent:
    """The sheet's extent: by a fast regex scan when the XML is plain, else by an XML parser.

    The fast scan errs only upward (it counts empty cells and r="..." text too), so a sheet it finds
    too big is scanned again reading every reference, then parsed exactly, before it is refused.
    """
    try:
        extent = _fast_extent(_segments(chunks(), forced=False), every_ref=False)
        if not extent.fits:
            extent = _fast_extent(_segments(chunks(), forced=False), every_ref=True)
        if extent.fits:
            return extent
    except _NeedsParser:
        pass
    return _parsed_extent(_segments(chunks(), forced=True))


def _segments(chunks: Iterable[bytes], forced: bool) -> Iterator[bytes]:
    """Regroup inflated chunks into segments that end just before a cell's opening tag.

    No cell tag, and no r="..." attribute, is then ever split between two segments. ``forced``
    cuts anywhere once :data:`_MAX_CARRY` bytes hold no tag (the XML parser does not mind).
    """
    carry = bytearray()
    for chunk in chunks:
        carry += chunk
        cut = _last_cell_start(carry)
        if cut <= 0:
            if len(carry) <= _MAX_CARRY:
                continue
            if not forced:
                raise _NeedsParser
            cut = len(carry)
        yield bytes(carry[:cut])
        del carry[:cut]
    if carry:
        yield bytes(carry)


def _last_cell_start(buffer: bytearray) -> int:
    """Where the last ``<c`` tag starts (else the last ``<``), or -1."""
    end = len(buffer)
    for _ in range(64):
        at = buffer.rfind(b"<c", 0, end)
        if at < 0:
            break
        if at + 2 >= len(buffer) or buffer[at + 2] in b" \t\r\n/>":
            return at
        end = at
    return buffer.rfind(b"<")


def _fast_extent(segments: Iterable[bytes], every_ref: bool) -> _Extent:
    """Extent from every r="A1" in the XML, when every cell tag is a plain ``<c r="...``.

    Without ``every_ref`` the references are read one by one only in a segment where one passes the
    column or row seen so far by enough to break the limit (one regex search, no Python per cell:
    20,000 rows cost ~20 ms); other segments count at that bound, so the extent may come out too big,
    never too small. Raises :class:`_NeedsParser` when a cell may lack its r attribute (calamine then
    places it after the previous cell), has a namespace prefix, or no cell boundary comes for long.
    """
    extent = _Extent()
    columns_bound = 26  # bounds every reference met so far keeps within, and whose area fits the limit
    for segment in segments:
        plain = segment.count(b'<c r="')
        if segment.count(b"<c") != plain and len(_CELL_OPEN.findall(segment)) != plain:
            raise _NeedsParser
        if b":c" in segment and _PREFIXED_CELL_OPEN.search(segment):
            raise _NeedsParser
        extent.cells += plain
        # Z99999 at first: its regex is the cheapest (two letters, or six digits), and 26 x 99,999 fits.
        rows_bound = 99_999 if columns_bound == 26 else MAX_SHEET_CELLS // columns_bound
        if every_ref or _beyond(columns_bound, rows_bound).search(segment):
            refs = _CELL_REF.findall(segment)
            if refs:
                extent.rows = max(extent.rows, max(map(int, set(map(itemgetter(1), refs)))))
                extent.columns = max(extent.columns, max(map(_column_number, set(map(itemgetter(0), refs)))))
                columns_bound = max(columns_bound, extent.columns)
        elif plain:
            extent.rows, extent.columns = max(extent.rows, rows_bound), max(extent.columns, columns_bound)
        if b"<f" in segment:
            extent.formulas += [cell.decode() for cell in _FORMULA_WITHOUT_VALUE.findall(segment)]
        if not extent.fits:
            break  # too big (or too loosely bounded): the caller looks again, more closely
    return extent


@functools.lru_cache(maxsize=64)
def _beyond(columns: int, rows: int) -> re.Pattern[bytes]:
    """A reference past ``columns`` or past ``rows``: the regex form of a comparison of numbers."""
    column_letters = _column_name(columns)
    past_column = _greater_than(
        column_letters,
        "[A-Za-z]",
        lambda c: f"[{c}{c.lower()}]",
        lambda c: f"[{chr(ord(c) + 1)}-Z{chr(ord(c) + 33)}-z]" if c < "Z" else "",
    )
    past_row = _greater_than(str(rows), "[0-9]", str, lambda c: f"[{chr(ord(c) + 1)}-9]" if c < "9" else "")
    return re.compile(f"r\\s*=\\s*[\"'](?:{past_column}[0-9]+|[A-Za-z]+{past_row})[\"']".encode())


def _greater_than(text: str, any_char: str, same: Callable[[str], str], above: Callable[[str], str]) -> str:
    """Regex for a whole run of characters whose value is above ``text`` (longer, or greater at a place)."""
    branches = [f"{any_char}{{{len(text) + 1},}}"]
    for place, char in enumerate(text):
        if above(char):
            rest = len(text) - place - 1
            branches.append("".join(map(same, text[:place])) + above(char) + (f"{any_char}{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(branches) + ")"


@dataclass(slots=True)
class _ScanState:
    """Where :func:`_parsed_extent` is in a worksheet: calamine's current row and column (0-based), and
    the cell open (1-based row and column), whether it holds a value so far and its type attribute."""

    row: int = 0
    column: int = 0
    cell: tuple[int, int] | None = None
    filled: bool = False
    value: bool = False
    type: str | None = None


def _parsed_extent(segments: Iterable[bytes]) -> _Extent:
    """Extent from an XML parse that follows calamine's rules for where each cell goes.

    A row's r sets the row, its end moves to the next row; a cell's r sets its place, a cell without
    one goes right after the previous cell. A cell holds a value when it has a child element other
    than a formula (``<f>``) or, in a cell of a number, shared-string, boolean or error type, an empty
    ``<v></v>``: calamine skips exactly those, so a stray formatted or formula-only cell far away is no
    reason to refuse the sheet (an empty ``<v>`` of a text type is an empty string: it counts).
    """
    extent = _Extent()
    state = _ScanState()

    def start(name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if state.cell is not None:
            if local == "v" and state.type in (None, "n", "s", "b", "e"):
                state.value = True  # filled once text comes
            elif local != "f":
                state.filled = True
        if local == "row":
            place = _parse_ref(attributes.get("r"))
            if place is not None:
                state.row = place[0] - 1
        elif local == "c":
            if "r" in attributes:
                place = _parse_ref(attributes["r"])
                if place is not None and place[1] is not None:
                    state.column = place[1] - 1
                    state.cell = (place[0], place[1])
                else:
                    state.cell = (0, 0)  # calamine refuses this reference, and so the sheet
            else:
                state.cell = (state.row + 1, state.column + 1)
            state.filled = state.value = False
            state.type = attributes.get("t")

    def text(_: str) -> None:
        if state.value:
            state.filled = True

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "v":
            state.value = False
        elif local == "row":
            state.row += 1
            state.column = 0
        elif local == "c":
            cell = state.cell
            if cell is not None and state.filled and cell[0] > 0:
                extent.see(cell[0], cell[1])
            state.column += 1
            state.cell = None

    def no_dtd(*_: object) -> None:
        raise _Refused("a worksheet declares a DTD, which no spreadsheet writes: open it in Excel and save it again")

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = no_dtd  # entity declarations can expand without end
    try:
        for segment in segments:
            parser.Parse(segment, False)
            if b"<f" in segment:
                extent.formulas += [cell.decode() for cell in _FORMULA_WITHOUT_VALUE.findall(segment)]
            if not extent.fits:
                return extent
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        if not extent.fits:
            return extent
        raise _Refused(
            f"a worksheet's XML is damaged ({expat.errors.messages.get(exc.code, exc)} at line {exc.lineno}): "
            "open the file in Excel and save it again"
        ) from None
    return extent


def _parse_ref(value: str | None) -> tuple[int, int | None] | None:
    """1-based (row, column) of a reference such as ``AB12`` read as calamine reads it; None if it refuses it."""
    match = re.fullmatch(r"([A-Za-z]*)([0-9]+)", value or "")
    if match is None or int(match[2]) == 0:
        return None
    return int(match[2]), (_column_number(match[1].encode()) if match[1] else None)


def _sheet_names(data: bytes, infos: list[zipfile.ZipInfo], kept: dict[str, list[bytes]]) -> dict[str, str]:
    """Map sheet parts (as named in the archive) to sheet names, as calamine resolves them."""
    by_key = {_part_key(info.filename): info for info in infos}

    def part(name: str) -> bytes | None:
        info = by_key.get(name)
        if info is None:
            return None
        content = bytearray()
        for chunk in _inflate(data, info):
            content += chunk
            if len(content) > 4 * _MB:  # these parts are tiny; a big one is not worth parsing for names
                return None
        return bytes(content)

    try:
        workbook_xml, rels_xml = part("xl/workbook.xml"), part("xl/_rels/workbook.xml.rels")
        if workbook_xml is None or rels_xml is None:
            return {}
        workbook = ElementTree.fromstring(workbook_xml)
        rels = ElementTree.fromstring(rels_xml)
    except Exception:  # a workbook without the usual parts: calamine reports it, names are optional
        return {}
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    names = {}
    for sheet in workbook.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        rel_id = next((value for key, value in sheet.attrib.items() if key.endswith("}id")), None)
        target = targets.get(rel_id, "")
        if not target:
            continue
        path = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
        info = by_key.get(_part_key(path))
        if info is not None:
            names[info.filename] = sheet.get("name", "")
    return names


def _read_calamine(data: bytes, file: str) -> tuple[list[Grid], list[Problem]]:
    """Read an xlsx whose extents were checked; calamine's own errors become one problem."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = []
        for meta in workbook.sheets_metadata:
            sheet = workbook.get_sheet_by_name(meta.name)
            end = sheet.end
            if end is not None and ((end[0] + 1) * (end[1] + 1) > MAX_SHEET_CELLS or end[0] + 1 > MAX_ROWS):
                # The scan above makes this unreachable; if calamine ever places cells differently,
                # this still stops the fill from A1 that to_python would do next.
                corner = f"{_column_name(end[1] + 1)}{end[0] + 1}"
                extent = _Extent(end[0] + 1, end[1] + 1, 0, corner, corner)
                return [], [Problem(ERROR, _too_far_message(extent, meta.name), file, meta.name)]
            merged = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
            # Typed cells widened to object: the grid's rows are only read, never given other values.
            rows = cast(list[list[object]], sheet.to_python(skip_empty_area=False))
            grids.append(Grid(file, meta.name, rows, "xlsx", merged=merged))
        return grids, []
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine raises its own errors, and a Rust panic (BaseException)
        return [], [Problem(ERROR, f"the workbook cannot be read ({exc}): open it in Excel and save it again", file)]


# calamine in a child process: an allocation it cannot make aborts the child, not the app.
_CHILD_SOURCE = r"""
import datetime, io, json, resource, sys
limit, max_cells, max_rows, merged_ok = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
hard = resource.getrlimit(resource.RLIMIT_AS)[1]
if hard != resource.RLIM_INFINITY:
    limit = min(limit, hard)  # a limit this process inherited can only be lowered
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import python_calamine

def encode(value):
    for kind in (datetime.datetime, datetime.date, datetime.time):
        if isinstance(value, kind):
            return {"$": kind.__name__, "v": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"$": "timedelta", "v": value.total_seconds()}
    raise TypeError(type(value).__name__)

result = {"sheets": []}
try:
    workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(sys.stdin.buffer.read()))
    for meta in workbook.sheets_metadata:
        sheet = workbook.get_sheet_by_name(meta.name)
        end = sheet.end
        if end is not None and ((end[0] + 1) * (end[1] + 1) > max_cells or end[0] + 1 > max_rows):
            result = {"far": [meta.name, end[0] + 1, end[1] + 1]}
            break
        merged = [[a[0], a[1], b[0], b[1]] for a, b in (sheet.merged_cell_ranges or [])] if merged_ok else []
        result["sheets"].append({"name": meta.name, "rows": sheet.to_python(skip_empty_area=False), "merged": merged})
except BaseException as exc:
    result = {"error": str(exc) or type(exc).__name__}
json.dump(result, sys.stdout, default=encode)
"""


def _decode_child_value(item: dict[str, object]) -> object:
    kind, value = item.get("$"), item.get("v")
    if len(item) != 2 or not isinstance(kind, str):
        return item
    if kind == "timedelta" and isinstance(value, (int, float, str)):
        return dt.timedelta(seconds=float(value))
    parse: dict[str, Callable[[str], object]] = {
        "datetime": dt.datetime.fromisoformat,
        "date": dt.date.fromisoformat,
        "time": dt.time.fromisoformat,
    }
    return parse[kind](str(value)) if kind in parse else item


def read_in_child(data: bytes, file: str, merged_ok: bool) -> tuple[list[Grid], list[Problem]]:
    """Read xls, xlsb or ods with calamine in a child process limited in memory and time."""
    command = [
        sys.executable or "python3",
        "-I",
        "-c",
        _CHILD_SOURCE,
        str(CHILD_MEMORY_BYTES),
        str(MAX_SHEET_CELLS),
        str(MAX_ROWS),
        "1" if merged_ok else "0",
    ]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=CHILD_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return [], [
            Problem(
                ERROR,
                f"the workbook took more than {CHILD_TIMEOUT_SECONDS} s to read, far longer than a backlog "
                "needs: save only the needed sheets as .xlsx, or export CSV",
                file,
            )
        ]
    except OSError as exc:
        return [], [Problem(ERROR, f"the workbook cannot be read (the reader did not start: {exc})", file)]
    try:
        result = json.loads(done.stdout, object_hook=_decode_child_value) if done.returncode == 0 else None
    except ValueError:
        result = None
    if not isinstance(result, dict):
        stderr = done.stderr.decode(errors="replace")
        if done.returncode < 0 or "memory allocation" in stderr or "MemoryError" in stderr:
            # Killed by a signal: SIGABRT is how calamine (Rust) stops when an allocation fails.
            return [], [
                Problem(
                    ERROR,
                    f"the workbook needs more than {CHILD_MEMORY_BYTES // _MB} MB to read, far more than a backlog "
                    "needs (stray cells far outside the data, or repeated rows?): delete them and save as .xlsx, "
                    "or export CSV",
                    file,
                )
            ]
        last = (stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1][:200]
        return [], [Problem(ERROR, f"the workbook cannot be read (the reader stopped: {last})", file)]
    if "far" in result:
        sheet, rows, columns = result["far"]
        corner = f"{_column_name(columns)}{rows}"
        extent = _Extent(rows, columns, 0, corner, corner)
        return [], [Problem(ERROR, _too_far_message(extent, sheet), file, sheet)]
    if "error" in result:
        return [], [
            Problem(ERROR, f"the workbook cannot be read ({result['error']}): open it in Excel and save it again", file)
        ]
    grids = [
        Grid(file, sheet["name"], sheet["rows"], "xlsx", merged=[tuple(m) for m in sheet["merged"]])
        for sheet in result["sheets"]
    ]
    return grids, []
