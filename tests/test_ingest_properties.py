"""Property: any backlog written to xlsx, or to CSV in any supported encoding and separator, reads back unchanged."""

from __future__ import annotations

import tempfile
from pathlib import Path

from conftest import csv_bytes, write_xlsx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.ingest import read_backlog

# Text a spreadsheet can hold: no control characters (xlsx cannot store them) except newlines,
# no surrogates, and no surrounding white space (cells are read stripped).
_CELL_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n"), min_size=1, max_size=40
).filter(lambda text: text == text.strip() and text.strip())

_IDS = st.one_of(
    st.sampled_from(["007", "1e3", "NA", "null", "0", "TRUE", "A-1", "A 1", "A_1", "=1+1", "-5"]),
    _CELL_TEXT.filter(lambda text: "\n" not in text),
)
_EFFORT = st.one_of(
    st.integers(min_value=0, max_value=10_000).map(float),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
)


# Excel keeps 15 significant digits (openpyxl writes 16), so xlsx numbers are drawn at that precision.
_EXCEL_EFFORT = _EFFORT.map(lambda number: float(f"{number:.15g}"))


@st.composite
def backlogs(draw, text=_CELL_TEXT, ids=_IDS, effort=_EFFORT):
    item_ids = draw(st.lists(ids, min_size=1, max_size=12, unique=True))
    return [(item_id, draw(text), draw(effort)) for item_id in item_ids]


def _check(path: Path, items) -> None:
    result = read_backlog(path)
    assert not result.has_errors, result.problems
    assert list(result.table["id"]) == [item[0] for item in items]
    assert list(result.table["title"]) == [item[1] for item in items]
    assert list(result.table["effort"]) == [item[2] for item in items]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=backlogs(effort=_EXCEL_EFFORT))
def test_xlsx_round_trip(items):
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx(Path(folder) / "backlog.xlsx", {"Backlog": [["id", "title", "effort"], *items]})
        _check(path, items)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=backlogs(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_csv_round_trip_unicode(items, encoding, delimiter):
    rows = [["id", "title", "effort"], *[(i, t, repr(e)) for i, t, e in items]]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "backlog.csv"
        path.write_bytes(csv_bytes(rows, encoding, delimiter))
        _check(path, items)


def _cp1252(text: str) -> bool:
    """Text that Windows-1252 can hold and whose bytes are not also valid UTF-8 with accents.

    Bytes such as C2 A1 are 'Â¡' in Windows-1252 and '¡' in UTF-8: no reader can tell them apart,
    and UTF-8 is the reading chosen (see test_bytes_valid_in_both_encodings_read_as_utf8).
    """
    try:
        encoded = text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    try:
        return encoded.decode("utf-8") == text
    except UnicodeDecodeError:
        return True


_CP1252_TEXT = _CELL_TEXT.filter(_cp1252)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    items=backlogs(text=_CP1252_TEXT, ids=_IDS.filter(_cp1252)),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_csv_round_trip_windows_1252(items, delimiter):
    rows = [["id", "title", "effort"], *[(i, t, repr(e)) for i, t, e in items]]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "backlog.csv"
        path.write_bytes(csv_bytes(rows, "cp1252", delimiter))
        _check(path, items)


def test_bytes_valid_in_both_encodings_read_as_utf8_and_say_so(tmp_path):
    path = tmp_path / "backlog.csv"
    path.write_bytes(csv_bytes([["id", "title", "effort"], ["A", "Â¡", "1"]], "cp1252"))
    result = read_backlog(path)
    assert result.table.loc[0, "title"] == "¡"
    assert result.source.encoding == "utf-8"
    assert "utf-8" in result.source.describe()
