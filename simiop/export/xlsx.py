"""Sheets written as an Excel workbook (.xlsx) with XlsxWriter, whole or not at all.

XlsxWriter (the optional extra ``excel``) writes the file format Excel,
LibreOffice and Google Sheets read, which a home-made writer would have to
get right byte by byte. The workbook is built in memory and written to a
temporary file beside the target, then renamed over it (simiop.atomic), so
a failure leaves the old file or none, never half of one.

Every value is written with the call for its type (numbers as numbers,
dates as dates, text never read as a formula), the header rows and the
naming columns are frozen, no cell is merged, and columns are as wide as
their contents up to a limit.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simiop.atomic import write_bytes_atomic, writing_into
from simiop.export.sheets import Cell, Sheet

INSTALL_HINT = 'pip install "simiop[excel]"'

_WIDTH_MIN = 8
_WIDTH_MAX = 60
_WIDTH_NUMBER = 14
_WIDTH_ROWS = 500
"""Columns are sized from their header and first rows: a long sheet's later rows look like its first."""


class MissingExtraError(Exception):
    """XlsxWriter is not installed: the message says how to install it."""

    def __init__(self) -> None:
        super().__init__(f"writing a workbook needs XlsxWriter, an optional extra: {INSTALL_HINT}")


def require_xlsxwriter() -> None:
    """MissingExtraError unless XlsxWriter can be imported (checked before any work is done)."""
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        raise MissingExtraError from None


def workbook_bytes(sheets: Sequence[Sheet], created: dt.datetime, title: str) -> bytes:
    """The .xlsx file of ``sheets``; the same sheets and ``created`` time give the same bytes."""
    try:
        import xlsxwriter
    except ImportError:
        raise MissingExtraError from None

    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    book = xlsxwriter.Workbook(buffer, options)
    book.set_properties({"title": title, "author": "simiop", "created": created})
    formats = {
        "header": book.add_format({"bold": True, "bottom": 1, "bg_color": "#EEEEEE"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "long_text": book.add_format({"text_wrap": True, "valign": "top"}),
        "header_date": book.add_format(
            {"bold": True, "bottom": 1, "bg_color": "#EEEEEE", "num_format": "yyyy-mm-dd"}
        ),
    }
    for sheet in sheets:
        _write_sheet(book.add_worksheet(sheet.name), sheet, formats)
    book.close()
    return buffer.getvalue()


def _write_sheet(worksheet: Any, sheet: Sheet, formats: dict[str, Any]) -> None:
    for r, row in enumerate(sheet.rows):
        header = r < sheet.frozen_rows
        for c, value in enumerate(row):
            _write_cell(worksheet, r, c, value, formats, header=header)
    for c, width in enumerate(_widths(sheet.rows)):
        worksheet.set_column(c, c, width)
    worksheet.freeze_panes(sheet.frozen_rows, sheet.frozen_columns)
    if sheet.rows and len(sheet.rows) > sheet.frozen_rows:
        worksheet.autofilter(sheet.frozen_rows - 1, 0, len(sheet.rows) - 1, len(sheet.rows[0]) - 1)


def _write_cell(
    worksheet: Any, r: int, c: int, value: Cell, formats: dict[str, Any], *, header: bool
) -> None:
    style = formats["header"] if header else None
    if value is None:
        if header:
            worksheet.write_blank(r, c, None, style)
    elif isinstance(value, bool):
        worksheet.write_boolean(r, c, value, style)
    elif isinstance(value, (int, float)):
        worksheet.write_number(r, c, value, style)
    elif isinstance(value, dt.date):
        worksheet.write_datetime(r, c, value, formats["header_date" if header else "date"])
    else:
        wrapped = style is None and len(value) > _WIDTH_MAX  # wider than its column: shown whole, on lines
        worksheet.write_string(r, c, value, formats["long_text"] if wrapped else style)


def _widths(rows: Sequence[tuple[Cell, ...]]) -> list[int]:
    """Each column's width in characters: its longest header or value among the first rows, within limits."""
    if not rows:
        return []
    widths = [_WIDTH_MIN] * max(len(row) for row in rows)
    for row in rows[:_WIDTH_ROWS]:
        for c, value in enumerate(row):
            if isinstance(value, str):
                length = len(value) + 2
            elif isinstance(value, dt.date):
                length = 12
            elif isinstance(value, bool) or value is None:
                length = 0
            else:
                length = min(len(f"{value:,}") + 2, _WIDTH_NUMBER)
            widths[c] = max(widths[c], min(length, _WIDTH_MAX))
    return widths


def write_workbook(path: Path, sheets: Sequence[Sheet], created: dt.datetime, title: str) -> None:
    """Write the workbook to ``path`` atomically; OutputWriteError naming it when it cannot be written."""
    data = workbook_bytes(sheets, created, title)
    with writing_into(path, started=False):
        write_bytes_atomic(path, data)
