"""integrity.xlsx.read_rows reads the first sheet with its own loop over the sheet's XML (a
quarter of the cost of openpyxl's read-only worksheet: benchmark B4), and must give exactly
what openpyxl gives: every kind of value, the rows a sheet skips, the cells it leaves out. The
checks of the file itself are tests/test_upload_corpus.py's."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from integrity.xlsx import XlsxError, read_rows

HEADERS = ["编号", "名称", "日期", "金额", "备注"]
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _values(workbook: Workbook) -> bytes:
    """A sheet with a value of every kind openpyxl reads, in shared and inline strings, with
    number formats that make dates and durations, rows skipped and cells beyond the headers."""
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append([1, "县财政局", datetime.date(2026, 3, 15), Decimal("123456.78"), "  空格  "])
    sheet.append([2, "'=1+1", datetime.datetime(2026, 3, 15, 10, 30), 0.1, True])
    sheet.append([3, "", datetime.time(8, 15), -12345678901234567890, False])
    sheet.append([4, "#N/A", datetime.timedelta(days=2, hours=3), 1e20, None])
    sheet["B7"] = CellRichText(["普通", TextBlock(InlineFont(b=True), "加粗")])
    sheet["E7"] = "x005F_y"
    sheet["G7"] = "beyond the headers"
    for column, (value, number_format) in enumerate(
        [(46349, "yyyy-mm-dd"), (0.5, "[h]:mm:ss"), (59, "d-mmm-yy"), (3e9, "yyyy-mm-dd")],
        start=1,
    ):
        cell = sheet.cell(row=9, column=column, value=value)
        cell.number_format = number_format
    return workbook


def _normal() -> bytes:
    return _saved(_values(Workbook()))


def _mac_1904() -> bytes:
    workbook = _values(Workbook())
    workbook.epoch = CALENDAR_MAC_1904
    return _saved(workbook)


def _write_only() -> bytes:
    """openpyxl's write-only files (our exports): inline strings, no declared dimension."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADERS)
    for n in range(50):
        sheet.append([n, f"单位{n}", datetime.date(2026, 1, 1) + datetime.timedelta(n), n / 3])
        if n % 10 == 0:
            sheet.append([None, "   "])
    return _saved(workbook)


def _hand_written() -> bytes:
    """A sheet as other programs write it: rows and cells without references, a row number
    written as a decimal, rich inline strings, typed cells, cells out of order."""
    members = {}
    with zipfile.ZipFile(io.BytesIO(_saved(Workbook()))) as archive:
        for name in archive.namelist():
            members[name] = archive.read(name)
    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADERS)
    members["xl/worksheets/sheet1.xml"] = (
        f'<worksheet xmlns="{MAIN_NS}"><sheetData><row>{header}</row>'
        '<row><c><v>1</v></c><c t="inlineStr"><is><r><t>县</t></r><r><rPr><b/></rPr>'
        '<t xml:space="preserve">财政局 </t></r></is></c><c t="d"><v>2026-03-15T00:00:00</v>'
        '</c><c t="str"><v>12.5</v></c><c t="b"><v>1</v></c></row>'
        '<row r="4.0"><c r="C4" t="e"><v>#REF!</v></c><c r="A4"><v>4</v></c>'
        '<c r="B4" t="inlineStr"><is><t>甲&amp;乙</t><rPh sb="0" eb="1"><t>jia</t></rPh></is></c>'
        '<c r="E4"><v>5</v></c></row>'
        '<row r="6"><c r="A6" t="inlineStr"/><c r="B6" t="n"><v></v></c><c r="D6"><v>7E-1</v>'
        "</c></row></sheetData></worksheet>"
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _as_openpyxl_reads(content: bytes) -> list[tuple[int, dict]]:
    """What read_rows gave when it iterated openpyxl's read-only worksheet."""
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()
    rows = []
    for number, cells in enumerate(sheet.iter_rows(min_row=2), start=2):
        values = [cell.value for cell in cells[: len(HEADERS)]]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        values += [None] * (len(HEADERS) - len(values))
        rows.append((number, dict(zip(HEADERS, values, strict=True))))
    workbook.close()
    return rows


@pytest.mark.filterwarnings("ignore:Cell D9 is marked as a date")  # openpyxl's, on row 9
@pytest.mark.parametrize("make", [_normal, _mac_1904, _write_only, _hand_written])
def test_rows_are_read_as_openpyxl_reads_them(make):
    content = make()
    rows = list(read_rows(content, HEADERS, max_rows=1000))
    assert rows == _as_openpyxl_reads(content)
    assert rows  # the comparison compared something


def test_values_come_out_typed():
    rows = dict(read_rows(_normal(), HEADERS, max_rows=1000))
    assert rows[2] == {
        "编号": 1,
        "名称": "县财政局",
        "日期": datetime.datetime(2026, 3, 15),
        "金额": 123456.78,
        "备注": "  空格  ",
    }
    assert rows[3]["日期"] == datetime.datetime(2026, 3, 15, 10, 30) and rows[3]["备注"] is True
    assert rows[4]["日期"] == datetime.time(8, 15) and rows[4]["金额"] == -1.234567890123457e19
    assert rows[7]["名称"] == "普通加粗" and rows[7]["备注"] == "x005F_y"
    assert rows[9] == {
        "编号": datetime.datetime(2026, 11, 23),
        "名称": datetime.timedelta(hours=12),
        "日期": datetime.datetime(1900, 2, 28),
        "金额": "#VALUE!",  # a date out of range, as openpyxl reads it
        "备注": None,
    }
    assert sorted(rows) == [2, 3, 4, 5, 7, 9]  # rows 6 and 8: not in the sheet


def test_a_formula_anywhere_in_a_row_is_refused_with_its_row_and_column():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append([1, "县财政局"])
    sheet["D3"] = "=SUM(A1:A2)"
    sheet["A3"] = 2
    with pytest.raises(XlsxError) as refused:
        list(read_rows(_saved(workbook), HEADERS, max_rows=1000))
    assert "3" in str(refused.value) and "金额" in str(refused.value)
