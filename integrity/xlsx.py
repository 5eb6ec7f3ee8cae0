"""Safe Excel reading and writing, shared by every import and export.

Reading refuses, with a message in Chinese, anything that is not a plain .xlsx: files over the
size limit, non-zip content, truncated or corrupt archives, zip bombs (uncompressed size over the
limit or an absurd compression ratio), workbooks with external links, and cells holding formulas
(formulas are never evaluated). A file that breaks while its rows are read (a sheet cut short, a
member larger than the archive declares, an XML entity bomb stopped by the parser) is refused as
damaged. Writing neutralises text that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import io
import logging
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._reader import WorkSheetParser, _cast_number
from openpyxl.xml.functions import iterparse

FORMULA_PREFIXES = ("=", "+", "-", "@")
MAX_COMPRESSION_RATIO = 200
MAX_BLANK_ROWS = 10_000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
logger = logging.getLogger(__name__)
# What reading a hostile archive raises: bad structure, a CRC or inflate failure, a member
# flagged encrypted (RuntimeError) or packed with a method zipfile lacks (NotImplementedError).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    RuntimeError,
    NotImplementedError,
    OSError,
    EOFError,
    ValueError,
    zlib.error,
)


class XlsxError(Exception):
    """The file as a whole cannot be read; the message is shown to the user."""


@dataclass
class RowError:
    row: int
    column: str
    message: str


def _check_size(size: int) -> None:
    if size > settings.EXCEL_UPLOAD_MAX_BYTES:
        # filesizeformat: a limit under 1 MB must not read "larger than 0 MB".
        raise XlsxError(
            _("The file is larger than %(size)s.")
            % {"size": filesizeformat(settings.EXCEL_UPLOAD_MAX_BYTES)}
        )


def _check_archive(data: bytes) -> None:
    _check_size(len(data))
    if not data.startswith(b"PK"):
        raise XlsxError(_("This is not an Excel .xlsx file. Save it as .xlsx and try again."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except ZIP_ERRORS:
        raise XlsxError(_("The file is damaged or incomplete and cannot be opened.")) from None
    if any(member.flag_bits & 0x1 for member in members):
        # Encrypted members: Excel never writes them (a password-protected workbook is not a zip).
        raise XlsxError(_("The file is damaged or incomplete and cannot be opened."))
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        raise XlsxError(_("This is not an Excel .xlsx file. Save it as .xlsx and try again."))
    if any(name.startswith("xl/externalLinks/") for name in names):
        raise XlsxError(_("The workbook links to other files. Remove the external links."))
    total = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members) or 1
    if total > settings.EXCEL_MAX_UNCOMPRESSED_BYTES or total / compressed > MAX_COMPRESSION_RATIO:
        raise XlsxError(_("The workbook expands to an unreasonable size and was refused."))
    try:
        bad = archive.testzip() if len(data) < 2 * 1024 * 1024 else None
    except ZIP_ERRORS:
        bad = True
    if bad is not None:
        raise XlsxError(_("The file is damaged or incomplete and cannot be opened."))


def read_rows(
    uploaded, headers: list[str], *, max_rows: int
) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield (row number, {header: value}) from the first sheet, after checking the file.

    `headers` are the labels the first row must carry (extra columns are refused so that a
    shifted column cannot put data in the wrong field).
    """
    if getattr(uploaded, "size", None) is not None:
        _check_size(uploaded.size)  # before reading an oversized upload into memory
    data = uploaded.read() if hasattr(uploaded, "read") else bytes(uploaded)
    _check_archive(data)
    try:
        book = _Workbook(data)
    except Exception:
        raise XlsxError(_("The file is damaged or incomplete and cannot be opened.")) from None
    try:
        if book.sheet is None:  # only chart sheets
            raise XlsxError(_("The sheet is empty: the first row must hold the headers."))
        rows = _readable(book.rows())
        try:
            header_values, _formulas = next(rows)
        except StopIteration:
            raise XlsxError(_("The sheet is empty: the first row must hold the headers.")) from None
        found = [_text(value) for value in header_values]
        while found and not found[-1]:
            found.pop()
        if found != headers:
            missing = [h for h in headers if h not in found]
            unexpected = [h for h in found if h not in headers]
            detail = []
            if missing:
                detail.append(_("missing: %(cols)s") % {"cols": "、".join(missing)})
            if unexpected:
                detail.append(_("unexpected: %(cols)s") % {"cols": "、".join(unexpected)})
            if not detail:
                detail.append(_("columns are in the wrong order"))
            raise XlsxError(
                _(
                    "The header row does not match the template (%(detail)s). Download the "
                    "template again."
                )
                % {"detail": "；".join(detail)}
            )
        width = len(headers)
        count = blank = 0
        for number, (row, formulas) in enumerate(rows, start=2):
            values = list(row[:width])
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                # Empty rows are skipped but not free to parse: a small file can hold millions.
                blank += 1
                if blank > MAX_BLANK_ROWS:
                    raise XlsxError(
                        _(
                            "The sheet has more than %(max)d empty rows. Delete the empty rows "
                            "and try again."
                        )
                        % {"max": MAX_BLANK_ROWS}
                    )
                continue
            if formulas and (first := min(formulas)) <= width:
                raise XlsxError(
                    _("Row %(row)d, column %(col)s holds a formula. Paste values only.")
                    % {"row": number, "col": headers[first - 1]}
                )
            count += 1
            if count > max_rows:
                raise XlsxError(
                    _("The file has more than %(max)d data rows. Split it into smaller files.")
                    % {"max": max_rows}
                )
            values += [None] * (width - len(values))
            yield number, dict(zip(headers, values, strict=True))
    finally:
        book.close()


class _Workbook:
    """The parts of a workbook that reading its first sheet needs (content types, shared
    strings, the workbook and its relationships, the styles that mark dates), read by openpyxl
    as `load_workbook` reads them; the first worksheet's rows read by `rows()`.

    `rows()` gives what openpyxl's read-only worksheet gives (tests/test_xlsx.py compares
    them) at a quarter of its cost: it builds no cell objects, and does not first parse a sheet
    that declares no dimension (openpyxl's own write-only files) in full to size it. Benchmark
    B4 (the ledger import) spent most of its reading time there."""

    def __init__(self, data: bytes):
        reader = ExcelReader(io.BytesIO(data), read_only=True, keep_vba=False, data_only=False)
        self.archive = reader.archive
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        self.strings = reader.shared_strings
        self.epoch = reader.wb.epoch
        self.date_formats = reader.wb._date_formats
        self.timedelta_formats = reader.wb._timedelta_formats
        # The first worksheet, as openpyxl's `workbook.worksheets[0]` (chart sheets left out).
        self.sheet = next(
            (
                rel.target
                for _sheet, rel in reader.parser.find_sheets()
                if rel.target in reader.valid_files and "chartsheet" not in rel.Type
            ),
            None,
        )

    def close(self) -> None:
        self.archive.close()

    def rows(self) -> Iterator[tuple[list, set[int] | None]]:
        """(values, the 1-based columns holding formulas or None) of each row from the first,
        a row the sheet skips being an empty row; openpyxl's rules throughout
        (`WorkSheetParser.parse_row/parse_cell`, `ReadOnlyWorksheet._cells_by_row/_get_row`)."""
        formula_parser = WorkSheetParser(None, self.strings)
        expected = 1  # the next row to give
        index = 0  # openpyxl's row counter
        with self.archive.open(self.sheet) as source:
            for _event, element in iterparse(source):
                tag = element.tag
                if tag != _ROW:
                    if tag in _SHEET_PARTS:
                        element.clear()
                    continue
                position = element.get("r")
                if position is not None:
                    try:
                        index = int(position)
                    except ValueError:
                        number = float(position)
                        if not number.is_integer():
                            raise ValueError(f"{position} is not a valid row number") from None
                        index = int(number)
                else:
                    index += 1
                row = self._row(element, formula_parser)
                element.clear()
                while expected < index:
                    expected += 1
                    yield (), None
                if expected <= index:
                    expected += 1
                    yield row

    def _row(self, element, formula_parser) -> tuple[list, set[int] | None]:
        cells = []
        column = 0
        for cell in element:
            get = cell.get
            coordinate = get("r")
            if coordinate:
                letters = coordinate.rstrip(_DIGITS)
                column = _COLUMNS.get(letters)
                if column is None or len(letters) == len(coordinate):
                    column = _column(coordinate)
            else:
                column += 1
            data_type = get("t", "n")
            style = get("s", 0)
            if style:
                style = int(style)
            if len(cell) == 1:  # the usual cell: a value, or an inline string
                child = cell[0]
                if child.tag == _VALUE and data_type != "inlineStr":
                    value = child.text or None
                    if value is not None:
                        value = self._value(value, data_type, style)
                    cells.append((column, value, False))
                    continue
                if child.tag == _INLINE_STRING and data_type == "inlineStr":
                    cells.append((column, _inline_text(child), False))
                    continue
            if cell.find(_FORMULA) is not None:
                cells.append((column, formula_parser.parse_formula(cell), True))
                continue
            if data_type == "inlineStr":
                text = cell.find(_INLINE_STRING)
                value = None if text is None else _inline_text(text)
            else:
                value = cell.findtext(_VALUE) or None
                if value is not None:
                    value = self._value(value, data_type, style)
            cells.append((column, value, False))
        if not cells:
            return (), None
        width = cells[-1][0]
        values = [None] * width
        formulas = None
        for column, value, is_formula in cells:
            if column <= width:
                values[column - 1] = value
                if is_formula:
                    formulas = formulas or set()
                    formulas.add(column)
                elif formulas:
                    formulas.discard(column)
        return values, formulas

    def _value(self, value: str, data_type: str, style: int):
        if data_type == "n":
            value = _cast_number(value)
            if style in self.date_formats:
                try:
                    return from_excel(value, self.epoch, timedelta=style in self.timedelta_formats)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return value
        if data_type == "s":
            return self.strings[int(value)]
        if data_type == "b":
            return bool(int(value))
        if data_type == "d":
            return from_ISO8601(value)
        return value


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _VALUE, _FORMULA = f"{_MAIN}row", f"{_MAIN}v", f"{_MAIN}f"
_INLINE_STRING, _TEXT = f"{_MAIN}is", f"{_MAIN}t"
# The parts of a sheet outside its rows that openpyxl parses and drops as it reads.
_SHEET_PARTS = {
    f"{_MAIN}{name}"
    for name in [
        "col",
        "sheetProtection",
        "extLst",
        "conditionalFormatting",
        "legacyDrawing",
        "rowBreaks",
        "colBreaks",
        "customSheetViews",
        "printOptions",
        "pageMargins",
        "pageSetup",
        "headerFooter",
        "autoFilter",
        "dataValidations",
        "sheetPr",
        "sheetViews",
        "sheetFormatPr",
        "scenarios",
        "tableParts",
        "hyperlinks",
        "mergeCells",
    ]
}
_DIGITS = "0123456789"
_COLUMNS: dict[str, int] = {}  # column letters seen → index


def _column(coordinate: str) -> int:
    """The column of a cell reference such as "AB12", as openpyxl's `coordinate_to_tuple`
    finds it (and refuses it), remembered by its letters."""
    letters = coordinate.rstrip(_DIGITS)
    index = _COLUMNS.get(letters)
    if index is None or len(letters) == len(coordinate):
        index = coordinate_to_tuple(coordinate)[1]
        if letters.isascii() and letters.isalpha() and len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = index
    return index


def _inline_text(element) -> str:
    """An inline string's text, as openpyxl's `Text.from_tree(element).content` (for a plain
    <t>, the usual form, without building its objects)."""
    if len(element) == 1 and element[0].tag == _TEXT and not len(element[0]):
        return element[0].text or ""
    return Text.from_tree(element).content


def _readable(rows: Iterator) -> Iterator:
    """The sheet's rows, read as the caller asks for them. The archive's checks cannot see
    everything: a member that inflates past the size its directory declares fails its CRC, a
    sheet cut short or an XML entity bomb fails the parser, only once the row is reached. Any
    failure of the reader there means the file is damaged (logged, in case it is ours)."""
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except Exception:
            logger.info("An uploaded workbook broke while it was read", exc_info=True)
            raise XlsxError(_("The file is damaged or incomplete and cannot be opened.")) from None
        yield cells


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def cell_text(value) -> str:
    """A cell as text, with an export's neutralising apostrophe removed."""
    text = _text(value)
    if text.startswith("'") and text[1:2] in FORMULA_PREFIXES:
        return text[1:]
    return text


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_text(sheet, row: int, column: int, value: str, *, exact: bool = False):
    """Text into a cell of an ordinary (not write-only) workbook, as a string cell: openpyxl
    would store text starting with "=" as a formula. Neutralised like every exported value,
    unless `exact` (header cells, which an import compares as they are)."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value if exact else neutralise(value)
    cell.data_type = "s"
    return cell


def write_header(sheet, headers: list[str]) -> None:
    """The first row of an ordinary workbook: headers built from names the tenant typed (key
    domains, extra fields) stay text."""
    for column, header in enumerate(headers, start=1):
        write_text(sheet, 1, column, str(header), exact=True)


def _text_cell(sheet, value):
    if isinstance(value, str) and value in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_workbook(
    sheets: Iterable[tuple[str, list[str], Iterable[Iterable[object]]]],
) -> bytes:
    """Write-only workbook: [(sheet title, headers, rows)]. Text never becomes a formula."""
    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        for index, header in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, len(header) * 2 + 4)
        header_cells = []
        for header in headers:
            # Kept as they are (an import compares them), but as text, never a formula.
            cell = WriteOnlyCell(sheet, value=str(header))
            cell.data_type = "s"
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            # Plain values, for which openpyxl reuses one cell; a cell of our own only for the
            # text openpyxl would not store as text: an error code such as #N/A (neutralised
            # text never starts with "=", its other case). A cell per value cost a third of a
            # 100,000-row export (benchmark B5).
            sheet.append([_text_cell(sheet, value) for value in map(neutralise, row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
