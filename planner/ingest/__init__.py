"""Read backlog and capacity files into typed, validated tables plus the problems found.

Import every public name from this package; its modules are private to it: ``read`` and ``workbook``
(files to grids of cells, refusing hostile ones), ``grid``, ``sheet`` (finding the header row),
``columns`` (headers to fields), ``parse`` (cells to text, numbers and dates), ``backlog`` and
``capacity`` (grids to the typed tables), ``file_set`` (a backlog and capacity read together, and
what blocks saving them).
"""

from planner.ingest.backlog import BacklogImport, SourceInfo, read_backlog
from planner.ingest.capacity import CapacityImport, read_capacity
from planner.ingest.columns import (
    BACKLOG_FIELDS,
    CAPACITY_FIELDS,
    ColumnMapping,
    ColumnMatch,
    map_columns,
    match_header,
)
from planner.ingest.file_set import LoadedFiles, import_settings

__all__ = [
    "BACKLOG_FIELDS",
    "CAPACITY_FIELDS",
    "BacklogImport",
    "CapacityImport",
    "ColumnMapping",
    "ColumnMatch",
    "LoadedFiles",
    "SourceInfo",
    "import_settings",
    "map_columns",
    "match_header",
    "read_backlog",
    "read_capacity",
]
