"""Make user text inert where it is shown: no Markdown links, images, HTML or formatting."""

from __future__ import annotations

import re

__all__ = ["markdown_inert"]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def markdown_inert(text: object) -> str:
    """``text`` with every Markdown special character escaped, to show it literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
