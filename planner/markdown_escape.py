"""Make user text inert where Streamlit shows it as Markdown: no links, images, HTML, icons or formatting.

Streamlit renders Markdown (with GitHub's extensions, colour and icon directives, emoji shortcodes and
LaTeX) in ``st.markdown``, ``st.caption``, titles, alerts, toasts, metric, expander, tab and popover
labels, widget labels, tooltips (``help``) and the options of radios, pills and segmented controls.
Every user string shown there goes through this module: :func:`markdown_inert` (escaped), or
:func:`markdown_format` when it is placed in a template of the page's own Markdown, or
:func:`markdown_code` for a message that must read exactly as written (item ids) in monospace.
Selectbox and multiselect options, text inputs' values and placeholders, table cells and headers and
charts are plain text: they take the raw string.
"""

from __future__ import annotations

import re
import string
from typing import Any

__all__ = ["markdown_code", "markdown_format", "markdown_inert"]

# Every ASCII character CommonMark, GFM or Streamlit's directives give a meaning to; a backslash makes
# each one literal. `&` (entities), `=` (setext headings under a line) and `^` are in the set too.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^])")
# Streamlit replaces icon (`:material/x:`, `:material_x:`), logo (`:streamlit:`) and emoji (`:smile:`)
# shortcodes in the text *after* backslash escapes are resolved, so an escaped colon still makes an
# icon. An invisible WORD JOINER after the opening colon breaks the shortcode and shows nothing.
_SHORTCODE = re.compile(r":(?=(?:material/)?[\w+-]+:)")
_WORD_JOINER = "\u2060"
# Line breaks (and tabs, which indent into code blocks) would let text start a heading, list, quote,
# table or code block at the start of a line.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_SPACE_RUN = re.compile(r"[ \t]*\n[ \t\n]*|\t+")
_BACKTICKS = re.compile(r"`+")


def _inert_line(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _SHORTCODE.sub(":" + _WORD_JOINER, text.replace("\t", " ").strip()))


def markdown_inert(text: object, *, lines: bool = False) -> str:
    """``text`` shown literally in Streamlit's Markdown: every special character escaped, one line.

    Line breaks become spaces; with ``lines=True`` each line is kept, as a Markdown line break.
    """
    split = _LINE_BREAK.sub("\n", str(text))
    if lines:
        return "  \n".join(_inert_line(line) for line in split.split("\n"))
    return _inert_line(_SPACE_RUN.sub(" ", split))


class _InertFormatter(string.Formatter):
    """str.format whose replacement fields are made inert; the template is the caller's own Markdown."""

    def format_field(self, value: Any, format_spec: str) -> str:
        return markdown_inert(super().format_field(value, format_spec))


_FORMATTER = _InertFormatter()


def markdown_format(template: str, /, *args: Any, **kwargs: Any) -> str:
    """``template.format(*args, **kwargs)`` with every value made inert by :func:`markdown_inert`.

    ``markdown_format("**{name}**: {count} items", name=scenario.name, count=3)``: the bold is the
    page's, the name is shown as written. Conversions (``{name!r}``) are applied before escaping.
    """
    return _FORMATTER.vformat(template, args, kwargs)


def markdown_code(text: object) -> str:
    """``text`` as one inline code span: shown exactly as written (no escapes), in monospace, on one line.

    Nothing is Markdown inside a code span (links, images, HTML, emphasis, directives, LaTeX, emoji); the
    fence is longer than any run of backticks in the text, so the text cannot close it.
    """
    body = _SHORTCODE.sub(":" + _WORD_JOINER, _SPACE_RUN.sub(" ", _LINE_BREAK.sub("\n", str(text))).strip())
    if not body:
        return ""
    fence = "`" * (1 + max((len(run) for run in _BACKTICKS.findall(body)), default=0))
    # A space on each side is dropped by the parser: needed when the text itself starts or ends with one.
    pad = " " if body[0] in "` " or body[-1] in "` " else ""
    return f"{fence}{pad}{body}{pad}{fence}"
