"""Comparable keys for labels people write differently: headers, sheet names, statuses, priorities."""

from __future__ import annotations

import re

__all__ = ["normalise_header"]


def normalise_header(header: str) -> str:
    """Lower-case and drop everything but letters and digits: ``Story_Points`` -> ``storypoints``."""
    return re.sub(r"[\W_]+", "", str(header).casefold())
