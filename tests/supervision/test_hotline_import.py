"""Hotline import (12345 / 961890 exports) from Excel: the template, every row validated with
its row and column, all or nothing, re-imported tickets refused, bad files refused — and the
database unchanged whenever anything is refused."""

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from supervision import excel
from supervision.choices import Channel, ComplaintStatus
from supervision.models import Complaint
from tests.conftest import login
from tests.factories import ensure_defaults
from tests.supervision.complaint_helpers import today, xlsx

IMPORT = reverse("supervision:complaint-import")
TEMPLATE = reverse("supervision:complaint-template")


@pytest.fixture
def county(world):
    ensure_defaults(world.county_a)
    return world


def headers():
    return [label for _f, label in excel.complaint_columns()]


def channel_label(value=Channel.HOTLINE_12345):
    return str(dict(Channel.choices)[value])


def row(
    ticket="A-1",
    *,
    agency="县财政局",
    channel=None,
    received=None,
    domain="",
    title="欠款",
    content="拖欠工程款",
    amount="",
    occurred="",
    name="王某",
    phone="13800001111",
):
    return [
        channel if channel is not None else channel_label(),
        ticket,
        received if received is not None else today().isoformat(),
        agency,
        domain,
        title,
        content,
        amount,
        occurred,
        name,
        phone,
    ]


def upload(client, content):
    if isinstance(content, bytes):
        content = SimpleUploadedFile("hotline.xlsx", content)
    return client.post(IMPORT, {"file": content})


def table():
    return sorted(Complaint.objects.values_list("id", "source_reference", "status"))


def test_template_has_headers_dropdowns_and_instructions(client, county):
    login(client, county.office_staff_a)
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == headers()
    lists = workbook["lists"]
    assert lists.sheet_state == "hidden"
    values = {c.value for col in lists.iter_cols() for c in col if c.value}
    assert {channel_label(), channel_label(Channel.HOTLINE_961890), "县财政局", "大阁镇"} <= values
    assert county.b1.name not in values  # only this county's agencies
    assert len(sheet.data_validations.dataValidation) == 3
    assert len(workbook.worksheets) == 3 and workbook.worksheets[2].max_row >= 5


def test_import_creates_every_row(client, county):
    w = county
    login(client, w.office_staff_a)
    rows = [
        row("12345-001", amount="1234.5", occurred="2025/3/1", domain="政府采购"),
        row("961890-001", channel=channel_label(Channel.HOTLINE_961890), agency="大阁镇"),
        row("", channel=channel_label(Channel.LETTER), phone="", name=""),
    ]
    response = upload(client, xlsx(rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    complaints = {c.source_reference: c for c in Complaint.objects.all()}
    assert len(complaints) == 3
    first = complaints["12345-001"]
    assert first.channel == Channel.HOTLINE_12345 and first.agency == w.a1
    assert str(first.amount) == "1234.50" and first.occurred_on == datetime.date(2025, 3, 1)
    assert first.domain.name == "政府采购"
    assert first.status == ComplaintStatus.RECEIVED and first.created_by == w.office_staff_a
    assert complaints["961890-001"].agency == w.a2
    assert complaints[""].channel == Channel.LETTER
    assert len({c.receipt_code for c in complaints.values()}) == 3


def test_bad_rows_are_all_reported_and_nothing_is_saved(client, county):
    w = county
    login(client, w.office_staff_a)
    upload(client, xlsx([row("OLD-1")]))
    before = table()
    future = (today() + datetime.timedelta(days=2)).isoformat()
    rows = [
        row("OK-1"),
        row("OLD-1"),  # already imported
        row("DUP-1"),
        row("DUP-1"),  # twice in the file
        row("X-2", agency="不存在的单位"),
        row("X-3", agency=w.b1.name),  # another county's agency
        row("X-4", channel="微信"),
        row("", channel=channel_label()),  # a hotline without its ticket
        row("X-5", received="昨天"),
        row("X-6", received=future),
        row("X-7", amount="-3"),
        row("X-8", amount="1.234"),
        row("X-9", phone="12345"),
        row("X-10", title=""),
        row("X-11", domain="不存在的领域"),
        row("X-12", title="长" * 201),
    ]
    response = upload(client, xlsx(rows))
    assert response.status_code == 400
    errors = [(e.row, e.column) for e in response.context["row_errors"]]
    labels = dict(excel.complaint_columns())
    expected = [
        (3, labels["source_reference"]),
        (5, labels["source_reference"]),
        (6, labels["agency"]),
        (7, labels["agency"]),
        (8, labels["channel"]),
        (9, labels["source_reference"]),
        (10, labels["received_on"]),
        (11, labels["received_on"]),
        (12, labels["amount"]),
        (13, labels["amount"]),
        (14, labels["complainant_phone"]),
        (15, labels["title"]),
        (16, labels["domain"]),
        (17, labels["title"]),
    ]
    assert errors == expected
    assert 'data-testid="row-errors"' in response.text
    assert table() == before


def test_the_same_ticket_on_another_hotline_is_a_different_ticket(client, county):
    login(client, county.office_staff_a)
    upload(client, xlsx([row("T-1")]))
    response = upload(client, xlsx([row("T-1", channel=channel_label(Channel.HOTLINE_961890))]))
    assert response.status_code == 302
    assert Complaint.objects.count() == 2


def _with_member(content: bytes, name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, data)
    return buffer.getvalue()


def _bomb() -> bytes:
    content = xlsx([row()]).read()
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"<row/>" * 10_000_000 + b"</sheetData>")
            target.writestr(item.filename, data)
    return buffer.getvalue()


def _formula() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers())
    sheet.append(row())
    sheet["F2"] = '=D2&"欠款"'
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _valid() -> bytes:
    return xlsx([row("VALID-1")]).read()


BAD_FILES = {
    "not_zip": lambda: "渠道,工单号\n12345,1\n".encode(),
    "truncated": lambda: _valid()[: len(_valid()) // 2],
    "zip_bomb": _bomb,
    "formula": _formula,
    "external_link": lambda: _with_member(
        _valid(), "xl/externalLinks/externalLink1.xml", b"<externalLink/>"
    ),
    "wrong_headers": lambda: xlsx([row()], headers=[*headers()[:-1], "备注"]).read(),
    "header_only": lambda: xlsx([]).read(),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_and_write_nothing(client, county, case):
    content = BAD_FILES[case]()
    if case == "zip_bomb":
        assert len(content) < 200 * 1024
    login(client, county.office_staff_a)
    before = table()
    response = upload(client, content)
    assert response.status_code == 400
    if case == "header_only":
        assert len(response.context["row_errors"]) == 1
    else:
        assert len(response.context["form"].errors["file"]) == 1
    assert table() == before


def test_row_and_size_limits(client, county, monkeypatch, settings):
    login(client, county.office_staff_a)
    monkeypatch.setattr(excel, "MAX_COMPLAINT_ROWS", 2)
    response = upload(client, xlsx([row(f"L-{i}") for i in range(3)]))
    assert response.status_code == 400 and response.context["form"].errors["file"]
    assert not Complaint.objects.exists()
    assert upload(client, xlsx([row(f"L-{i}") for i in range(2)])).status_code == 302
    content = _valid()
    settings.EXCEL_UPLOAD_MAX_BYTES = len(content) - 1
    response = upload(client, content)
    assert response.status_code == 400 and response.context["form"].errors["file"]
    assert Complaint.objects.count() == 2


def test_only_the_office_imports(client, county):
    w = county
    for user in (w.clerk_a1, w.leader_a1, w.city_viewer, w.evaluator_a):
        client.force_login(user)
        assert client.get(TEMPLATE).status_code == 403
        assert upload(client, _valid()).status_code == 403
    assert not Complaint.objects.exists()
    client.force_login(w.office_admin_a)
    assert client.get(IMPORT).status_code == 200


def test_tickets_imported_meanwhile_give_an_error_and_write_nothing(county):
    """Two people importing the same hotline export: the second import fails cleanly."""
    from django.core.exceptions import ValidationError

    from supervision import services
    from supervision.models import Complaint

    w = county
    rows = [
        {
            "channel": "hotline_12345",
            "source_reference": "T-1",
            "agency": w.a1,
            "title": "拖欠工程款",
            "content": "拖欠工程款三个月。",
        }
    ]
    services.complaints_import(tenant=w.county_a, rows=rows, actor=w.office_staff_a)
    before = Complaint.objects.count()
    with pytest.raises(ValidationError):
        services.complaints_import(tenant=w.county_a, rows=rows, actor=w.office_staff_a)
    assert Complaint.objects.count() == before
