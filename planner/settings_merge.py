"""Three-way merge of a scenario's settings: two people's changes to different things both land.

Settings are JSON objects (the what-ifs, pins, the value rule, the accepted plan ...). A save names
the version it started from (*base*); when the scenario has moved on since (*theirs*), the saver's
settings (*mine*) are merged into it path by path: an object is merged key by key, at any depth, and
anything else (a number, a list, a string) is one value. A path both sides changed, to different
values, is a clash: the save is refused and the clash named. Pinning item A and pinning item B merge;
both moving the same slider clash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["merge_settings"]

_MISSING = object()  # a key one side does not have


def merge_settings(
    base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]
) -> tuple[dict, list[str]]:
    """Merge ``mine`` (base + my changes) into ``theirs`` (base + their changes).

    Returns the merged settings and the clashing paths (``"what_if.overrides.CARE-12"``), oldest
    key order first; the merged settings are only meaningful when there are no clashes.
    """
    clashes: list[str] = []
    merged = _merge(base, mine, theirs, (), clashes)
    return merged, clashes


def _merge(base: Any, mine: Any, theirs: Any, path: tuple[str, ...], clashes: list[str]) -> Any:
    if _same(mine, base):
        return theirs  # I changed nothing here
    if _same(theirs, base) or _same(mine, theirs):
        return mine  # only I changed it, or we both made the same change
    if all(isinstance(side, Mapping) for side in (base, mine, theirs)):
        merged: dict[str, Any] = {}
        for key in [
            *theirs,
            *(k for k in mine if k not in theirs),
            *(k for k in base if k not in mine and k not in theirs),
        ]:
            value = _merge(
                base.get(key, _MISSING), mine.get(key, _MISSING), theirs.get(key, _MISSING), (*path, str(key)), clashes
            )
            if value is not _MISSING:
                merged[key] = value
        return merged
    if isinstance(mine, Mapping) and isinstance(theirs, Mapping) and base is _MISSING:
        return _merge({}, mine, theirs, path, clashes)  # both added the same object: merge its keys
    clashes.append(".".join(path) or "(all settings)")
    return mine


def _same(left: Any, right: Any) -> bool:
    """Equal as JSON values: objects and lists element by element, and ``true`` is never ``1``."""
    if left is _MISSING or right is _MISSING:
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, Mapping) or isinstance(right, Mapping):
        return (
            isinstance(left, Mapping)
            and isinstance(right, Mapping)
            and left.keys() == right.keys()
            and all(_same(left[key], right[key]) for key in left)
        )
    if isinstance(left, (list, tuple)) or isinstance(right, (list, tuple)):
        return (
            isinstance(left, (list, tuple))
            and isinstance(right, (list, tuple))
            and len(left) == len(right)
            and all(_same(a, b) for a, b in zip(left, right))
        )
    return bool(left == right)
