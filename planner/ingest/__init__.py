"""Read backlog and capacity files into typed, validated tables plus the problems found."""

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

__all__ = [
    "BACKLOG_FIELDS",
    "CAPACITY_FIELDS",
    "BacklogImport",
    "CapacityImport",
    "ColumnMapping",
    "ColumnMatch",
    "SourceInfo",
    "map_columns",
    "match_header",
    "read_backlog",
    "read_capacity",
]
