"""The ledger import (M2): the template generated for a campaign, the upload that becomes a job,
the check of every row (row, column, message) with progress and a preview, the commit of all
rows or none, and every kind of bad file and bad row — with the ledger unchanged whenever
anything is refused."""

import datetime
import io
import os
import resource
import time
import zipfile
import zlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook

from domains import services as domain_services
from domains.models import KeyDomain, ProblemType
from rectification import excel, importing, services
from rectification.choices import ImportStatus, IssueSource, IssueStatus
from rectification.models import ImportJob, LedgerIssue, Participation, Repayment
from rectification.tasks import import_commit
from tests.conftest import login
from tests.factories import credit_code, make_campaign, make_issue
from tests.rectification.ledger_helpers import (
    headers_for,
    import_job_for,
    issue_for,
    row_for,
    today,
    upload_file,
    workbook_bytes,
)

UPLOAD = reverse("rectification:import-upload")
TEMPLATE = reverse("rectification:import-template")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ledger(world):
    """County A's running campaign for a1 and a2 in 政府采购 (with two extra fields: a
    required choice and an amount) and 政府债务."""
    w = world
    make_campaign(w.county_a, [w.a1], launch=False)  # defaults for county A
    domains = {d.code: d for d in KeyDomain.objects.filter(tenant=w.county_a)}
    procurement, debt = domains["government_procurement"], domains["government_debt"]
    domain_services.domain_field_save(
        domain=procurement,
        data={
            "key": "method",
            "label": "采购方式",
            "field_type": "choice",
            "choices": ["公开招标", "竞争性谈判"],
            "required": True,
            "position": 1,
        },
        actor=None,
    )
    domain_services.domain_field_save(
        domain=procurement,
        data={"key": "budget", "label": "预算金额", "field_type": "money", "position": 2},
        actor=None,
    )
    campaign = make_campaign(w.county_a, [w.a1, w.a2], domains=[procurement, debt])
    w.campaign = campaign
    w.procurement, w.debt = procurement, debt
    w.arrears_type = ProblemType.objects.get(tenant=w.county_a, name__startswith="拖欠")
    return w


def table():
    return (
        sorted(LedgerIssue.objects.values_list("id", "number", "subject_name", "status")),
        sorted(Repayment.objects.values_list("id", "amount")),
    )


def good_row(w, **values):
    return row_for(w.campaign, **{"x_method": "公开招标", **values})


def upload(client, w, content, *, name="台账.xlsx", capture=None):
    url = f"{UPLOAD}?campaign={w.campaign.pk}"
    if capture is None:
        return client.post(url, {"file": upload_file(content, name)})
    with capture(execute=True):
        return client.post(url, {"file": upload_file(content, name)})


def last_job():
    return ImportJob.objects.order_by("-pk").first()


def check(client, w, rows, capture, *, headers=None):
    """Upload rows as clerk_a1; the check job runs; return the job."""
    login(client, w.clerk_a1)
    content = workbook_bytes(headers or headers_for(w.campaign), rows)
    response = upload(client, w, content, capture=capture)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = last_job()
    assert response["Location"] == reverse("rectification:import-detail", args=[job.pk])
    return job


def commit(client, job, capture):
    with capture(execute=True):
        response = client.post(reverse("rectification:import-commit", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


# The template ---------------------------------------------------------------------------------


def test_template_has_headers_dropdowns_extra_fields_and_instructions(client, ledger):
    w = ledger
    login(client, w.clerk_a1)
    response = client.get(TEMPLATE, {"campaign": w.campaign.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers == headers_for(w.campaign)
    assert "政府采购·采购方式" in headers and "政府采购·预算金额" in headers
    assert sum(1 for h in headers if "·" in h) == 2  # 政府债务 has no extra field
    lists = workbook["lists"]
    assert lists.sheet_state == "hidden"
    values = {c.value for col in lists.iter_cols() for c in col if c.value}
    assert {"政府采购", "政府债务", "公开招标", "竞争性谈判", w.arrears_type.name} <= values
    assert "招标投标" not in values  # a domain outside the campaign
    statuses = {str(label) for value, label in IssueStatus.choices if value != "closed"}
    assert statuses <= values and str(IssueStatus.CLOSED.label) not in values
    assert {str(label) for label in IssueSource.labels} <= values
    # domain, problem type, source, status, SME and the choice field
    assert len(sheet.data_validations.dataValidation) == 6
    method_column = headers.index("政府采购·采购方式")
    letter = sheet.cell(row=1, column=method_column + 1).column_letter
    ranges = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert f"{letter}2:{letter}{excel.LEDGER_IMPORT_MAX_ROWS + 1}" in ranges
    notes = workbook.worksheets[2]
    assert notes.max_row >= 10 and w.campaign.title in notes["A1"].value


def test_only_agencies_of_the_campaign_get_the_template_and_upload(client, ledger):
    w = ledger
    for user in (w.office_admin_a, w.office_staff_a, w.city_viewer, w.evaluator_a):
        login(client, user)
        assert client.get(TEMPLATE, {"campaign": w.campaign.pk}).status_code == 403
        assert client.get(UPLOAD, {"campaign": w.campaign.pk}).status_code == 403
    other = make_campaign(w.county_a, [w.a2])
    login(client, w.clerk_a1)
    assert client.get(TEMPLATE, {"campaign": other.pk}).status_code == 404
    assert client.get(UPLOAD, {"campaign": other.pk}).status_code == 404
    assert client.get(UPLOAD).status_code == 404
    draft = make_campaign(w.county_a, [w.a1], launch=False)
    assert client.get(UPLOAD, {"campaign": draft.pk}).status_code == 404
    login(client, w.leader_a1)
    assert client.get(UPLOAD, {"campaign": w.campaign.pk}).status_code == 200


# A good file ----------------------------------------------------------------------------------


def test_good_file_is_checked_previewed_and_committed(
    client, ledger, django_capture_on_commit_callbacks
):
    w = ledger
    existing = make_issue(w.campaign, w.a1, actor=w.clerk_a1, extra={"method": "公开招标"})
    d = today()
    rows = [
        good_row(
            w,
            problem_type=w.arrears_type.name,
            subject_name="县财政局",
            subject_credit_code=credit_code(11).lower(),
            description="拖欠工程款",
            cause="资金未到位",
            handling_opinion="限期清偿",
            source=str(IssueSource.AUDIT.label),
            discovered_on=datetime.datetime(2025, 3, 1),
            deadline="2026/12/31",
            status=str(IssueStatus.IN_PROGRESS.label),
            creditor_name="承德建工有限公司",
            creditor_credit_code=credit_code(12),
            creditor_is_sme="是",
            contract="HT-2025-001",
            accepted_on=(d - datetime.timedelta(days=50)).isoformat(),
            payment_term_days=45,
            amount_owed=123456.78,
            amount_repaid="23,456.78",
            last_repaid_on=(d - datetime.timedelta(days=1)).isoformat(),
            x_budget=200000,
        ),
        row_for(w.campaign, domain="政府债务", subject_name="县住建局", deadline=None),
    ]
    job = check(client, w, rows, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.VALID, (job.message, job.errors)
    assert (job.total_rows, job.new_rows, job.updated_rows, job.error_count) == (2, 2, 0, 0)
    assert [p["action"] for p in job.preview] == ["new", "new"]
    assert job.preview[0]["cells"][3] == "县财政局" and job.preview[0]["row"] == 2
    # An empty deadline shows, in the preview, the campaign's deadline the import will store.
    deadline = w.campaign.completion_deadline.isoformat()
    shown = gettext("%(value)s (default)") % {"value": deadline}
    assert shown in job.preview[1]["cells"] and shown not in job.preview[0]["cells"]
    assert LedgerIssue.objects.count() == 1  # nothing written by the check

    page = client.get(reverse("rectification:import-detail", args=[job.pk]))
    assert page.status_code == 200
    assert 'data-testid="preview"' in page.text and 'data-testid="commit"' in page.text
    assert "hx-trigger" not in page.text  # finished: no polling

    job = commit(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.COMMITTED, job.message
    issues = {i.subject_name: i for i in LedgerIssue.objects.exclude(pk=existing.pk)}
    first, second = issues["县财政局"], issues["县住建局"]
    assert (first.number, second.number) == (2, 3)  # after the existing issue 1
    assert Participation.objects.get(campaign=w.campaign, agency=w.a1).last_issue_number == 3
    assert first.agency == w.a1 and first.campaign == w.campaign and first.tenant == w.county_a
    assert first.domain == w.procurement and first.problem_type == w.arrears_type
    assert first.subject_credit_code == credit_code(11)
    assert first.source == IssueSource.AUDIT and first.status == IssueStatus.IN_PROGRESS
    assert first.discovered_on == datetime.date(2025, 3, 1)
    assert first.deadline == datetime.date(2026, 12, 31)
    assert first.creditor_is_sme is True and first.payment_term_days == 45
    assert first.amount_owed == Decimal("123456.78")
    assert first.amount_repaid == Decimal("23456.78")
    assert first.extra == {"method": "公开招标", "budget": "200000.00"}
    assert first.import_job == job and first.created_by == w.clerk_a1
    repayment = first.repayments.get()
    assert repayment.amount == Decimal("23456.78")
    assert repayment.paid_on == d - datetime.timedelta(days=1)
    assert second.deadline == w.campaign.completion_deadline
    assert second.status == IssueStatus.PENDING and second.source == IssueSource.SELF_INSPECTION
    assert second.amount_owed is None and second.extra == {}
    # The second commit of the same job does nothing.
    commit(client, job, django_capture_on_commit_callbacks)
    assert LedgerIssue.objects.count() == 3


def test_rows_update_existing_issues_and_add_the_repaid_difference(
    client, ledger, django_capture_on_commit_callbacks
):
    w = ledger
    issue = issue_for(w.a1, campaign=w.campaign, arrears=True, extra={"method": "公开招标"})
    assert issue.amount_repaid == Decimal("1000.00")
    untouched = make_issue(w.campaign, w.a1, extra={"method": "公开招标"})
    paid = today() - datetime.timedelta(days=1)
    row = good_row(
        w,
        number=issue.number,
        subject_name="县财政局（改）",
        status=str(IssueStatus.RECTIFIED.label),
        creditor_name=issue.creditor_name,
        accepted_on=issue.accepted_on,
        amount_owed=100000,
        amount_repaid=1500,
        last_repaid_on=paid,
        discovered_on=issue.discovered_on,
    )
    job = check(client, w, [row], django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.VALID, job.errors
    assert (job.new_rows, job.updated_rows) == (0, 1)
    job = commit(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.COMMITTED
    issue.refresh_from_db()
    assert issue.subject_name == "县财政局（改）" and issue.status == IssueStatus.RECTIFIED
    assert issue.rectified_on == today()
    assert issue.amount_repaid == Decimal("1500.00") and issue.import_job == job
    added = issue.repayments.order_by("-pk").first()
    assert (added.amount, added.paid_on) == (Decimal("500.00"), paid)
    assert issue.repayments.count() == 2
    untouched_before = untouched.updated_at
    untouched.refresh_from_db()
    assert untouched.updated_at == untouched_before and untouched.import_job is None


# Bad rows -------------------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_row_and_column_and_nothing_is_written(
    client, ledger, django_capture_on_commit_callbacks
):
    w = ledger
    closed = issue_for(w.a1, campaign=w.campaign, status="closed", extra={"method": "公开招标"})
    other = make_issue(w.campaign, w.a2, extra={"method": "公开招标"})
    mine = issue_for(w.a1, campaign=w.campaign, arrears=True, extra={"method": "公开招标"})
    before = table()
    future = (today() + datetime.timedelta(days=3)).isoformat()
    rows = [
        good_row(w),  # 2: fine
        good_row(w, domain="招标投标"),  # 3: domain outside the campaign
        good_row(w, problem_type="不存在"),  # 4
        good_row(w, subject_name=""),  # 5
        good_row(w, subject_credit_code="91130826MA0000000X"),  # 6: bad checksum
        good_row(w, responsible_person="长" * 61),  # 7
        good_row(w, source="微信"),  # 8
        good_row(w, discovered_on="昨天"),  # 9
        good_row(w, discovered_on=None),  # 10
        good_row(w, deadline="2000-01-01"),  # 11: before the discovery
        good_row(w, status=str(IssueStatus.CLOSED.label)),  # 12: only the office closes
        good_row(w, creditor_is_sme="也许"),  # 13
        good_row(w, payment_term_days=61, creditor_name="甲", amount_owed=1),  # 14
        good_row(w, amount_owed="-5", creditor_name="甲"),  # 15
        good_row(w, amount_owed="1.234", creditor_name="甲"),  # 16
        good_row(w, creditor_name="甲"),  # 17: a creditor without an amount owed
        good_row(w, amount_owed=10),  # 18: an amount owed without the creditor
        good_row(w, creditor_name="甲", amount_owed=10, amount_repaid=11, last_repaid_on=today()),
        good_row(w, creditor_name="甲", amount_owed=10, amount_repaid=5),  # 20: no date
        good_row(w, creditor_name="甲", amount_owed=10, amount_repaid=5, last_repaid_on=future),
        good_row(w, x_method=""),  # 22: required extra field
        good_row(w, x_method="邀请招标"),  # 23: not an option
        good_row(w, x_budget="很多"),  # 24
        row_for(w.campaign, domain="政府债务", x_method="公开招标"),  # 25: other domain's column
        good_row(w, number=closed.number, subject_name="改名"),  # 26: closed issue changed
        good_row(w, number=999),  # 27: unknown number
        good_row(w, number=other.number + 100),  # 28: unknown
        good_row(w, number="abc"),  # 29
        good_row(w, number=mine.number, creditor_name=mine.creditor_name, amount_owed=100000),
        good_row(w, number=mine.number),  # 31: the same number twice
        good_row(w, accepted_on="2025-13-01", creditor_name="甲", amount_owed=5),  # 32
    ]
    job = check(client, w, rows, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    columns = excel.LedgerSchema.for_campaign(w.campaign).columns
    h = {c.key: c.header for c in columns if c.domain_field is None}
    method, budget = "政府采购·采购方式", "政府采购·预算金额"
    found = [(e["row"], e["column"]) for e in job.errors]
    expected = [
        (3, h["domain"]),
        (3, method),  # the row's domain is unknown, so the method column is someone else's
        (4, h["problem_type"]),
        (5, h["subject_name"]),
        (6, h["subject_credit_code"]),
        (7, h["responsible_person"]),
        (8, h["source"]),
        (9, h["discovered_on"]),
        (10, h["discovered_on"]),
        (11, h["deadline"]),
        (12, h["status"]),
        (13, h["creditor_is_sme"]),
        (14, h["payment_term_days"]),
        (15, h["amount_owed"]),
        (16, h["amount_owed"]),
        (17, h["amount_owed"]),
        (18, h["creditor_name"]),
        (19, h["amount_repaid"]),
        (20, h["last_repaid_on"]),
        (21, h["last_repaid_on"]),
        (22, method),
        (23, method),
        (24, budget),
        (25, method),
        (26, h["number"]),
        (27, h["number"]),
        (28, h["number"]),
        (29, h["number"]),
        (30, h["amount_repaid"]),  # lower than the 1,000 yuan repaid: delete on the page
        (31, h["number"]),
        (32, h["accepted_on"]),
    ]
    assert found == expected
    assert job.error_count == len(expected)
    messages = {(e["row"]): e["message"] for e in job.errors}
    assert "31" not in messages[31] and "30" in messages[31]  # "same number as row 30"
    assert "1000.00" in messages[30]
    assert (job.new_rows, job.total_rows) == (1, 31)
    page = client.get(reverse("rectification:import-detail", args=[job.pk]))
    assert 'data-testid="row-errors"' in page.text and 'data-testid="commit"' not in page.text
    # An invalid job cannot be committed.
    commit(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    assert table() == before


def test_only_the_first_thousand_errors_are_kept_with_the_total(
    client, ledger, django_capture_on_commit_callbacks, monkeypatch
):
    w = ledger
    monkeypatch.setattr(importing, "MAX_STORED_ERRORS", 3)
    job = check(client, w, [good_row(w, subject_name="")] * 5, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    assert job.error_count == 5 and len(job.errors) == 3
    page = client.get(reverse("rectification:import-detail", args=[job.pk]))
    assert "5" in page.text


def test_unchanged_closed_issue_rows_are_accepted(
    client, ledger, django_capture_on_commit_callbacks
):
    """A re-imported export carries closed issues: unchanged, they are not an error."""
    w = ledger
    closed = issue_for(w.a1, campaign=w.campaign, status="closed", extra={"method": "公开招标"})
    login(client, w.clerk_a1)
    response = client.get(reverse("rectification:issue-export"), {"campaign": w.campaign.pk})
    content = response.content
    job_before = table()
    login(client, w.clerk_a1)
    upload(client, w, content, capture=django_capture_on_commit_callbacks)
    job = last_job()
    assert job.status == ImportStatus.VALID, job.errors
    assert (job.new_rows, job.updated_rows, job.total_rows) == (0, 0, 1)
    commit(client, job, django_capture_on_commit_callbacks)
    assert table() == job_before
    closed.refresh_from_db()
    assert closed.import_job is None


# Bad files ------------------------------------------------------------------------------------


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


def _bomb(valid: bytes) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(valid)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"<row/>" * 10_000_000 + b"</sheetData>")
            target.writestr(item.filename, data)
    return buffer.getvalue()


def _formula(w) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers_for(w.campaign))
    sheet.append(good_row(w))
    sheet["D2"] = '=A2&"欠款"'
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _valid(w) -> bytes:
    return workbook_bytes(headers_for(w.campaign), [good_row(w)])


BAD_FILES = {
    "truncated": lambda w: _valid(w)[: len(_valid(w)) // 2],
    "zip_bomb": lambda w: _bomb(_valid(w)),
    "formula": _formula,
    "external_link": lambda w: _with_member(
        _valid(w), "xl/externalLinks/externalLink1.xml", b"<externalLink/>"
    ),
    "wrong_headers": lambda w: workbook_bytes(
        [*headers_for(w.campaign)[:-1], "备注"], [good_row(w)]
    ),
    "missing_headers": lambda w: workbook_bytes(headers_for(w.campaign)[:5], [good_row(w)[:5]]),
    "header_only": lambda w: workbook_bytes(headers_for(w.campaign), []),
}


REFUSED_AT_UPLOAD = {
    "truncated",
    "zip_bomb",
    "formula",
    "external_link",
    "wrong_headers",
    "missing_headers",
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_with_a_message_and_write_nothing(
    client, ledger, django_capture_on_commit_callbacks, case
):
    w = ledger
    issue_for(w.a1, campaign=w.campaign, arrears=True, extra={"method": "公开招标"})
    content = BAD_FILES[case](w)
    if case == "zip_bomb":
        assert len(content) < 200 * 1024
    before = table()
    jobs = ImportJob.objects.count()
    login(client, w.clerk_a1)
    response = upload(client, w, content, capture=django_capture_on_commit_callbacks)
    if case in REFUSED_AT_UPLOAD:
        # Damaged, unpacking to too much, linked, formulas in the first rows, other headers:
        # refused before anything is stored, the reason on the form.
        assert response.status_code == 400
        assert ImportJob.objects.count() == jobs
        errors = [e for found in response.context["form"].errors.values() for e in found]
        assert errors and all(escape(e) in response.text for e in errors)
        assert table() == before
        return
    assert response.status_code == 302
    job = last_job()
    assert job.status == ImportStatus.INVALID
    assert job.message and job.total_rows == 0
    assert job.errors == [] and job.preview == []
    page = client.get(reverse("rectification:import-detail", args=[job.pk]))
    assert escape(job.message) in page.text
    commit(client, job, django_capture_on_commit_callbacks)
    assert table() == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("台账.xlsx", "编号,领域\n1,政府采购\n".encode()),
        ("台账.csv", b"PK\x03\x04rest"),
        ("x.xls", b""),
    ],
)
def test_files_that_are_not_xlsx_are_refused_at_once(client, ledger, name, content):
    w = ledger
    login(client, w.clerk_a1)
    response = upload(client, w, content, name=name)
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()


def test_row_and_size_limits(
    client, ledger, django_capture_on_commit_callbacks, monkeypatch, settings
):
    w = ledger
    monkeypatch.setattr(excel, "LEDGER_IMPORT_MAX_ROWS", 2)
    job = check(client, w, [good_row(w)] * 3, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID and "2" in job.message
    job = check(client, w, [good_row(w)] * 2, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.VALID
    content = _valid(w)
    settings.EXCEL_UPLOAD_MAX_BYTES = len(content) - 1
    response = upload(client, w, content)
    assert response.status_code == 400 and response.context["form"].errors["file"]
    assert ImportJob.objects.count() == 2 and not LedgerIssue.objects.exists()


# The commit job ------------------------------------------------------------------------------


def test_a_ledger_changed_since_the_check_fails_the_commit_and_writes_nothing(
    client, ledger, django_capture_on_commit_callbacks
):
    w = ledger
    issue = make_issue(w.campaign, w.a1, extra={"method": "公开招标"})
    rows = [good_row(w), good_row(w, number=issue.number, subject_name="新名称")]
    job = check(client, w, rows, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.VALID
    services.issue_report_rectified(issue=issue, note="已整改", rectified_on=None, actor=None)
    services.issue_verify(issue=issue, close=True, note="销号", actor=w.office_admin_a)
    before = table()
    job = commit(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.FAILED
    assert job.error_count == 1 and job.errors[0]["row"] == 3
    assert table() == before
    assert Participation.objects.get(campaign=w.campaign, agency=w.a1).last_issue_number == 1


def test_a_closed_campaign_imports_nothing(client, ledger, django_capture_on_commit_callbacks):
    w = ledger
    job = check(client, w, [good_row(w)], django_capture_on_commit_callbacks)
    services.campaign_close(campaign=w.campaign, actor=w.office_admin_a)
    response = client.post(reverse("rectification:import-commit", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.VALID and not LedgerIssue.objects.exists()


def test_only_the_uploaders_agency_sees_and_commits_the_job(
    client, ledger, django_capture_on_commit_callbacks
):
    w = ledger
    job = check(client, w, [good_row(w)], django_capture_on_commit_callbacks)
    login(client, w.clerk_a2)
    assert client.get(reverse("rectification:import-detail", args=[job.pk])).status_code == 404
    assert client.post(reverse("rectification:import-commit", args=[job.pk])).status_code == 404
    login(client, w.office_admin_a)
    assert client.post(reverse("rectification:import-commit", args=[job.pk])).status_code == 403
    login(client, w.leader_a1)  # the uploader's agency
    job = commit(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.COMMITTED and LedgerIssue.objects.count() == 1


def test_progress_fragment_polls_while_the_job_runs(client, ledger):
    w = ledger
    job = import_job_for(
        w.a1, campaign=w.campaign, check=False, rows=[good_row(w)], user=w.clerk_a1
    )
    assert job.status == ImportStatus.QUEUED
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATING)
    cache.set(importing.progress_key(job.pk), {"done": 3000, "total": 12000})
    login(client, w.clerk_a1)
    url = reverse("rectification:import-progress", args=[job.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.text and f'hx-get="{url}"' in response.text
    assert 'aria-valuenow="25"' in response.text and "12000" in response.text
    importing.job_check(job.pk)  # picks up a job left "validating" (a worker restart)
    response = client.get(url)
    assert "hx-trigger" not in response.text and 'data-testid="preview"' in response.text


def test_progress_is_written_every_thousand_rows(ledger, monkeypatch):
    w = ledger
    seen = []

    class Spy:
        def set(self, key, value, *args, **kwargs):
            if key.startswith("rectification:import:"):
                seen.append(dict(value))
            return cache.set(key, value, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(cache, name)

    monkeypatch.setattr(importing, "cache", Spy())
    job = import_job_for(
        w.a1, campaign=w.campaign, check=False, rows=[good_row(w)] * 2500, user=w.clerk_a1
    )
    importing.job_check(job.pk)
    done = [s["done"] for s in seen]
    assert done == [0, 1000, 2000, 2500]
    assert all(s["total"] and s["total"] >= s["done"] for s in seen[1:])
    job.refresh_from_db()
    assert job.status == ImportStatus.VALID and job.new_rows == 2500 and len(job.preview) == 20


def test_language_of_the_upload_is_the_language_of_the_check(
    client, ledger, django_capture_on_commit_callbacks
):
    """The job checks the headers in the uploader's language."""
    from django.utils import translation

    w = ledger
    with translation.override("en"):
        headers = headers_for(w.campaign)
        rows = [good_row(w, status="Being rectified", source="Audit")]
    login(client, w.clerk_a1)
    content = workbook_bytes(headers, rows)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        client.post(f"{UPLOAD}?campaign={w.campaign.pk}", {"file": upload_file(content)})
    job = last_job()
    assert job.status == ImportStatus.VALID, (job.message, job.errors)


# The commit writes the rows the check staged ---------------------------------------------------


def _staged_name(job) -> str:
    return f"{job.file.name}.rows"


def _commit_job(job, w):
    """Ask for the import and run the commit task (as the worker would, with its audit
    context)."""
    importing.job_request_commit(job=job, actor=w.clerk_a1, language="zh-hans")
    import_commit(job.pk, "zh-hans")
    return ImportJob.objects.get(pk=job.pk)


def _arrears_rows(w, count: int) -> list[list]:
    paid = today() - datetime.timedelta(days=1)
    rows = []
    for n in range(count):
        values = {"subject_name": f"失信主体{n}"}
        if n % 3 == 0:
            values.update(
                creditor_name=f"承德市第{n}建筑有限公司",
                accepted_on=today() - datetime.timedelta(days=60),
                amount_owed=1000 + n,
                amount_repaid=n % 7,
                last_repaid_on=paid,
            )
        rows.append(good_row(w, **values))
    return rows


def test_the_commit_writes_the_checked_rows_without_reading_the_workbook_again(ledger):
    w = ledger
    job = import_job_for(w.a1, campaign=w.campaign, rows=_arrears_rows(w, 30), user=w.clerk_a1)
    assert job.status == ImportStatus.VALID, job.errors
    storage = job.file.storage
    assert storage.exists(_staged_name(job))
    with storage.open(job.file.name, "wb") as upload:  # the workbook is no longer read
        upload.write(b"not a workbook")
    job = _commit_job(job, w)
    assert job.status == ImportStatus.COMMITTED, job.message
    assert (job.total_rows, job.new_rows, job.updated_rows) == (30, 30, 0)
    issues = LedgerIssue.objects.filter(import_job=job).order_by("number")
    assert [i.subject_name for i in issues] == [f"失信主体{n}" for n in range(30)]
    assert [i.number for i in issues] == list(range(1, 31))
    owed = issues.get(subject_name="失信主体3")
    assert owed.amount_owed == Decimal("1003.00") and owed.amount_repaid == Decimal("3.00")
    assert owed.repayments.get().paid_on == today() - datetime.timedelta(days=1)
    # n % 3 == 0 and n % 7 != 0: a repayment each, with the import's note and author.
    repayments = Repayment.objects.filter(issue__import_job=job)
    assert repayments.count() == 8
    assert set(repayments.values_list("note", "created_by", "tenant")) == {
        (gettext("Imported from Excel"), w.clerk_a1.pk, w.county_a.pk)
    }
    assert not storage.exists(_staged_name(job))  # dropped once committed


def test_every_row_written_from_the_staged_rows_is_audited_and_stamped(ledger):
    w = ledger
    job = import_job_for(w.a1, campaign=w.campaign, rows=_arrears_rows(w, 12), user=w.clerk_a1)
    job = _commit_job(job, w)
    assert job.status == ImportStatus.COMMITTED, job.message
    issues = list(LedgerIssue.objects.filter(import_job=job))
    repayments = list(Repayment.objects.filter(issue__import_job=job))
    assert len(issues) == 12 and len(repayments) == 3
    for model, rows in ((LedgerIssue, issues), (Repayment, repayments)):
        event_model = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
        events = event_model.objects.filter(pgh_obj_id__in=[row.pk for row in rows])
        assert sorted(events.values_list("pgh_obj_id", "pgh_label")) == sorted(
            (row.pk, "insert") for row in rows
        )
        contexts = {event.pgh_context.metadata["source"] for event in events}
        assert contexts == {"task:rectification.import_commit"}
        assert all(row.sync_txid > 0 and row.updated_at for row in rows)


def test_staged_rows_missing_altered_or_damaged_are_checked_again_from_the_workbook(ledger):
    w = ledger
    for spoil in ("missing", "altered", "damaged"):
        rows = [good_row(w, subject_name=f"{spoil}{n}") for n in range(3)]
        job = import_job_for(w.a1, campaign=w.campaign, rows=rows, user=w.clerk_a1)
        storage, name = job.file.storage, _staged_name(job)
        if spoil == "missing":
            storage.delete(name)  # e.g. a job checked before the rows were staged
        else:
            with storage.open(name, "rb") as stream:
                header, body = stream.readline(), stream.read()
            if spoil == "altered":
                body = zlib.compress(zlib.decompress(body).replace(spoil.encode(), b"forged"))
            else:
                body = body[: len(body) // 2] + b"\x00" * 10
            storage.delete(name)
            storage.save(name, io.BytesIO(header + body))
        job = _commit_job(job, w)
        assert job.status == ImportStatus.COMMITTED, job.message
        names = LedgerIssue.objects.filter(import_job=job).values_list("subject_name", flat=True)
        assert sorted(names) == [f"{spoil}{n}" for n in range(3)]


def test_a_configuration_changed_since_the_check_checks_the_workbook_again(ledger):
    w = ledger
    job = import_job_for(w.a1, campaign=w.campaign, rows=[good_row(w)], user=w.clerk_a1)
    assert job.status == ImportStatus.VALID
    name = row_for(w.campaign)[
        excel.LedgerSchema.for_campaign(w.campaign).headers.index(gettext("Problem type"))
    ]
    ProblemType.objects.filter(tenant=w.county_a, name=name).update(is_active=False)
    before = table()
    job = _commit_job(job, w)
    assert job.status == ImportStatus.FAILED and job.error_count == 1
    assert job.errors[0]["row"] == 2 and job.errors[0]["column"] == gettext("Problem type")
    assert table() == before


def test_the_commit_makes_as_many_queries_for_50_rows_as_for_500(ledger):
    w = ledger
    issue = issue_for(w.a1, campaign=w.campaign, arrears=True, extra={"method": "公开招标"})
    counts = []
    for count in (50, 500):
        update = good_row(
            w,
            number=issue.number,
            subject_name=f"县财政局（{count}）",
            creditor_name=issue.creditor_name,
            accepted_on=issue.accepted_on,
            amount_owed=100000,
            amount_repaid=1000 + count,
            last_repaid_on=today(),
            discovered_on=issue.discovered_on,
        )
        rows = [update, *_arrears_rows(w, count)]
        job = import_job_for(w.a1, campaign=w.campaign, rows=rows, user=w.clerk_a1)
        importing.job_request_commit(job=job, actor=w.clerk_a1, language="zh-hans")
        with CaptureQueriesContext(connection) as queries:
            job = importing.job_commit(job.pk)
        assert job.status == ImportStatus.COMMITTED, job.message
        assert (job.new_rows, job.updated_rows) == (count, 1)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    issue.refresh_from_db()
    assert issue.amount_repaid == Decimal("1500.00") and issue.subject_name == "县财政局（500）"


# 100,000 rows ---------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    """The process's peak resident memory since the last _reset_peak_rss() (Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


@pytest.mark.skipif(
    os.environ.get("BIG_IMPORT") != "1", reason="set BIG_IMPORT=1 to import 100,000 rows"
)
def test_a_hundred_thousand_rows(ledger, capsys):
    w = ledger
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    sheet.append(headers_for(w.campaign))
    base = good_row(
        w,
        creditor_name="承德建工",
        amount_owed=1000,
        accepted_on=today(),
        amount_repaid=100,
        last_repaid_on=today(),
        x_budget=5000,
    )
    subject = [c.key for c in excel.LedgerSchema.for_campaign(w.campaign).columns].index(
        "subject_name"
    )
    for n in range(100_000):
        row = list(base)
        row[subject] = f"失信主体{n}"
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()
    del workbook, sheet
    _reset_peak_rss()
    start_rss = _peak_rss_mb()
    started = time.monotonic()
    job = import_job_for(w.a1, campaign=w.campaign, check=False, rows=[], user=w.clerk_a1)
    job.file.save("big.xlsx", upload_file(content), save=True)
    ImportJob.objects.filter(pk=job.pk).update(size=len(content))
    job = importing.job_check(job.pk)
    checked = time.monotonic()
    check_rss = _peak_rss_mb()
    _reset_peak_rss()
    assert job.status == ImportStatus.VALID, (job.message, job.errors[:5])
    assert job.new_rows == 100_000
    importing.job_request_commit(job=job, actor=w.clerk_a1, language="zh-hans")
    job = importing.job_commit(job.pk)
    committed = time.monotonic()
    assert job.status == ImportStatus.COMMITTED, job.message
    assert LedgerIssue.objects.filter(agency=w.a1).count() == 100_000
    assert Repayment.objects.filter(issue__agency=w.a1).count() == 100_000
    with capsys.disabled():
        print(
            f"\n100,000 rows, {len(content) / 1e6:.1f} MB: check {checked - started:.1f} s, "
            f"commit {committed - checked:.1f} s; peak RSS {start_rss:.0f} MB before, "
            f"{check_rss:.0f} MB checking, {_peak_rss_mb():.0f} MB committing"
        )
