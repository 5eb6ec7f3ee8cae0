"""The ledger export: the filtered issues in the import template's columns (with the computed
outstanding, days overdue and interest), the round trip (export → import reproduces the rows;
export → edit one cell → import changes that issue only), formula injection neutralised and
undone, and the multi-campaign export that says it cannot be imported back."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import SecurityEvent
from domains import services as domain_services
from domains.models import KeyDomain
from rectification import excel, services
from rectification.choices import ImportStatus
from rectification.models import ImportJob, LedgerIssue, Repayment
from tests.conftest import login
from tests.factories import credit_code, make_campaign, make_issue
from tests.rectification.ledger_helpers import headers_for, today, upload_file

EXPORT = reverse("rectification:issue-export")
INJECTION = '=HYPERLINK("http://evil.example/","点我")'


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ledger(world):
    """Two running campaigns of county A over 政府采购 (extra fields: a choice, an amount and a
    date) and 政府债务; a1 has three issues in the first."""
    w = world
    make_campaign(w.county_a, [w.a1], launch=False)
    domains = {d.code: d for d in KeyDomain.objects.filter(tenant=w.county_a)}
    procurement, debt = domains["government_procurement"], domains["government_debt"]
    for position, (key, label, kind, choices) in enumerate(
        [
            ("method", "采购方式", "choice", ["公开招标", "竞争性谈判"]),
            ("budget", "预算金额", "money", []),
            ("signed", "签约日期", "date", []),
        ]
    ):
        domain_services.domain_field_save(
            domain=procurement,
            data={
                "key": key,
                "label": label,
                "field_type": kind,
                "choices": choices,
                "position": position,
            },
            actor=None,
        )
    w.campaign = make_campaign(w.county_a, [w.a1, w.a2], domains=[procurement, debt])
    w.second = make_campaign(w.county_a, [w.a1], domains=[procurement, debt], title="第二轮")
    d = today()
    w.arrears = make_issue(
        w.campaign,
        w.a1,
        actor=w.clerk_a1,
        subject_name="县财政局",
        subject_credit_code=credit_code(21),
        description="拖欠工程款\n第二行",
        creditor_name="承德建工有限公司",
        creditor_credit_code=credit_code(22),
        creditor_is_sme=True,
        contract="HT-2025-009",
        accepted_on=d - datetime.timedelta(days=40),
        payment_term_days=30,
        amount_owed=Decimal("100000.00"),
        extra={"method": "竞争性谈判", "budget": "250000.5", "signed": "2025-02-03"},
    )
    for days, amount in ((4, "600.00"), (2, "400.00")):
        services.repayment_add(
            issue=w.arrears,
            data={"paid_on": d - datetime.timedelta(days=days), "amount": Decimal(amount)},
            actor=w.clerk_a1,
        )
    w.injected = make_issue(
        w.campaign, w.a1, subject_name=INJECTION, cause="+86 电话", extra={"method": "公开招标"}
    )
    w.debt_issue = make_issue(
        w.campaign,
        w.a1,
        domain=debt,
        subject_name="县住建局",
        source="audit",
        status="in_progress",
        deadline=d + datetime.timedelta(days=5),
    )
    w.other_agency = make_issue(
        w.campaign, w.a2, subject_name="大阁镇", extra={"method": "公开招标"}
    )
    return w


def sheets(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(response.content))
    return workbook, [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


FIELDS = [
    "domain_id",
    "problem_type_id",
    "subject_name",
    "subject_credit_code",
    "description",
    "responsible_person",
    "cause",
    "handling_opinion",
    "source",
    "discovered_on",
    "deadline",
    "status",
    "extra",
    "creditor_name",
    "creditor_credit_code",
    "creditor_is_sme",
    "contract",
    "accepted_on",
    "payment_term_days",
    "amount_owed",
    "amount_repaid",
    "daily_interest_rate",
]


def snapshot(issue):
    return {name: getattr(issue, name) for name in FIELDS}


def test_an_agencys_export_is_the_import_template_with_computed_columns(client, ledger):
    w = ledger
    login(client, w.clerk_a1)
    workbook, rows = sheets(client.get(EXPORT, {"campaign": w.campaign.pk}))
    assert rows[0] == headers_for(w.campaign)
    assert len(workbook.worksheets) == 1  # importable: no note
    assert [r[0] for r in rows[1:]] == [1, 2, 3]  # a2's issue is not a1's
    columns = excel.LedgerSchema.for_campaign(w.campaign).columns
    keys = [c.domain_field.key if c.domain_field else c.key for c in columns]
    first = dict(zip(keys, rows[1], strict=True))
    assert first["domain"] == "政府采购" and first["subject_name"] == "县财政局"
    assert first["description"] == "拖欠工程款\n第二行"
    assert first["creditor_is_sme"] in ("是", "Yes")
    assert first["amount_owed"] == 100000 and first["amount_repaid"] == 1000
    assert first["last_repaid_on"].date() == today() - datetime.timedelta(days=2)
    assert first["accepted_on"].date() == today() - datetime.timedelta(days=40)
    assert (first["method"], first["budget"]) == ("竞争性谈判", 250000.5)
    assert first["signed"].date() == datetime.date(2025, 2, 3)
    # Due 10 days ago; 100,000 owed for 6 days, 99,400 for 2 days, 99,000 for 2 days at 0.05 %.
    assert first["outstanding"] == 99000
    assert first["days_overdue"] == 10
    assert first["interest_due"] == 498.4
    second = dict(zip(keys, rows[2], strict=True))
    assert second["subject_name"] == "'" + INJECTION and second["cause"] == "'+86 电话"
    assert second["amount_owed"] is None and second["outstanding"] is None
    third = dict(zip(keys, rows[3], strict=True))
    assert third["domain"] == "政府债务" and third["method"] is None
    assert SecurityEvent.objects.filter(kind="export", user=w.clerk_a1).count() == 1
    event = SecurityEvent.objects.get(kind="export", user=w.clerk_a1)
    assert event.detail["rows"] == 3 and event.detail["filters"] == {"campaign": str(w.campaign.pk)}


def test_the_office_export_of_several_agencies_says_it_cannot_be_imported(client, ledger):
    w = ledger
    login(client, w.office_staff_a)
    workbook, rows = sheets(client.get(EXPORT))
    headers = rows[0]
    assert headers[2:] == headers_for(w.campaign)
    assert len(rows) == 5 and {r[1] for r in rows[1:]} == {"县财政局", "大阁镇"}
    assert len(workbook.worksheets) == 2
    # Filtered to one agency and one campaign the office gets the template columns too.
    workbook, rows = sheets(client.get(EXPORT, {"campaign": w.campaign.pk, "agency": w.a2.pk}))
    assert rows[0] == headers_for(w.campaign) and len(rows) == 2


def test_city_viewer_export_names_the_jurisdiction(client, ledger):
    w = ledger
    login(client, w.city_viewer)
    workbook, rows = sheets(client.get(EXPORT, {"campaign": w.campaign.pk}))
    assert len(rows[0]) == len(headers_for(w.campaign)) + 3
    assert {r[0] for r in rows[1:]} == {w.county_a.name}


def test_export_follows_the_filters(client, ledger):
    w = ledger
    login(client, w.clerk_a1)
    _workbook, rows = sheets(client.get(EXPORT, {"arrears": "true"}))
    assert [r[3] for r in rows[1:]] == ["县财政局"]
    _workbook, rows = sheets(client.get(EXPORT, {"q": "住建"}))
    assert [r[3] for r in rows[1:]] == ["县住建局"]
    login(client, w.evaluator_a)
    assert client.get(EXPORT).status_code == 403


def _import(client, w, content, campaign, capture):
    login(client, w.clerk_a1)
    url = reverse("rectification:import-upload") + f"?campaign={campaign.pk}"
    with capture(execute=True):
        response = client.post(url, {"file": upload_file(content)})
    assert response.status_code == 302
    job = ImportJob.objects.order_by("-pk").first()
    assert job.status == ImportStatus.VALID, (job.message, job.errors)
    with capture(execute=True):
        client.post(reverse("rectification:import-commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTED, job.message
    return job


def test_export_then_import_into_another_campaign_reproduces_the_rows(
    client, ledger, django_capture_on_commit_callbacks
):
    w = ledger
    login(client, w.clerk_a1)
    response = client.get(EXPORT, {"campaign": w.campaign.pk})
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        row[0].value = None  # new issues in the other campaign
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = _import(client, w, buffer.getvalue(), w.second, django_capture_on_commit_callbacks)
    assert (job.new_rows, job.updated_rows) == (3, 0)
    originals = LedgerIssue.objects.filter(campaign=w.campaign, agency=w.a1).order_by("number")
    copies = LedgerIssue.objects.filter(campaign=w.second, agency=w.a1).order_by("number")
    assert [c.number for c in copies] == [1, 2, 3]
    for original, copy in zip(originals, copies, strict=True):
        assert snapshot(copy) == snapshot(original), original.subject_name
    copy = copies[0]
    repayment = copy.repayments.get()  # the repaid total as one repayment on the last date
    assert (repayment.amount, repayment.paid_on) == (
        Decimal("1000.00"),
        today() - datetime.timedelta(days=2),
    )
    assert copies[1].subject_name == INJECTION  # the apostrophe is gone again


def test_export_edit_one_cell_import_changes_that_issue_only(
    client, ledger, django_capture_on_commit_callbacks
):
    w = ledger
    before = {i.pk: (snapshot(i), i.updated_at) for i in LedgerIssue.objects.all()}
    repayments = set(Repayment.objects.values_list("pk", flat=True))
    login(client, w.clerk_a1)
    response = client.get(EXPORT, {"campaign": w.campaign.pk})
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    column = headers.index(headers_for(w.campaign)[6]) + 1  # responsible person
    assert sheet.cell(row=4, column=1).value == w.debt_issue.number
    sheet.cell(row=4, column=column).value = "李四"
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = _import(client, w, buffer.getvalue(), w.campaign, django_capture_on_commit_callbacks)
    assert (job.new_rows, job.updated_rows, job.total_rows) == (0, 1, 3)
    for issue in LedgerIssue.objects.all():
        snap, updated_at = before[issue.pk]
        if issue.pk == w.debt_issue.pk:
            assert issue.responsible_person == "李四"
            assert {k: v for k, v in snapshot(issue).items() if k != "responsible_person"} == {
                k: v for k, v in snap.items() if k != "responsible_person"
            }
            assert issue.import_job == job
        else:
            assert (snapshot(issue), issue.updated_at) == (snap, updated_at), issue.subject_name
            assert issue.import_job is None
    assert set(Repayment.objects.values_list("pk", flat=True)) == repayments


def test_export_streams_many_rows_in_a_fixed_number_of_queries(
    client, ledger, django_assert_max_num_queries
):
    w = ledger
    for n in range(30):
        make_issue(
            w.campaign,
            w.a1,
            subject_name=f"主体{n}",
            creditor_name="甲",
            amount_owed=Decimal("10"),
            extra={"method": "公开招标"},
        )
    login(client, w.clerk_a1)
    client.get(EXPORT, {"campaign": w.campaign.pk})  # warm the session and caches
    with django_assert_max_num_queries(20):
        _workbook, rows = sheets(client.get(EXPORT, {"campaign": w.campaign.pk}))
    assert len(rows) == 34


def _instance_rows(schema, issues, *, prefix=False, multi_tenant=False):
    """The rows as the export built them from model instances before it read `.values()` rows
    (the reference the lean rows must match cell for cell)."""
    from domains.choices import FieldType
    from rectification.choices import IssueSource, IssueStatus
    from rectification.rules import DEFAULT_PAYMENT_TERM_DAYS, arrears_position

    yes, no = excel.yes_no()
    rows = []
    for issue in issues.select_related("tenant", "campaign", "agency", "domain", "problem_type"):
        repayments = [(r.paid_on, r.amount) for r in issue.repayments.all()]
        arrears = issue.amount_owed is not None
        position = last = None
        if arrears:
            last = max((day for day, _amount in repayments), default=None)
            position = arrears_position(
                owed=issue.amount_owed,
                accepted_on=issue.accepted_on,
                term_days=issue.payment_term_days,
                repayments=repayments,
                today=today(),
                daily_rate=issue.daily_interest_rate,
            )
        computed = {
            "domain": issue.domain.name,
            "problem_type": issue.problem_type.name,
            "source": str(IssueSource(issue.source).label),
            "status": str(IssueStatus(issue.status).label),
            "creditor_is_sme": yes if issue.creditor_is_sme else (no if arrears else None),
            "payment_term_days": issue.payment_term_days
            if arrears or issue.payment_term_days != DEFAULT_PAYMENT_TERM_DAYS
            else None,
            "amount_repaid": issue.amount_repaid if arrears else None,
            "last_repaid_on": last,
            "outstanding": position and position.outstanding,
            "days_overdue": position and position.days_overdue,
            "interest_due": position and position.interest_due,
        }
        row = []
        if prefix:
            row += [issue.tenant.name] if multi_tenant else []
            row += [issue.campaign.title, issue.agency.name]
        for column in schema.columns:
            field = column.domain_field
            if column.prefix:
                continue
            if field is None:
                value = computed.get(column.key, getattr(issue, column.key, None))
                row.append(None if value == "" else value)
                continue
            value = (
                (issue.extra or {}).get(field.key) if issue.domain_id == field.domain_id else None
            )
            if value not in (None, "") and field.field_type in (FieldType.NUMBER, FieldType.MONEY):
                value = Decimal(value)
            elif value not in (None, "") and field.field_type == FieldType.DATE:
                value = datetime.date.fromisoformat(value)
            row.append(None if value == "" else value)
        rows.append(row)
    return rows


def _sheet_xml(content: bytes) -> bytes:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")


@pytest.fixture
def varied_ledger(ledger):
    """The ledger with arrears fully repaid, repaid in part without an acceptance date (no due
    date), unpaid on a 45-day term, and an issue with its optional fields blank."""
    w = ledger
    d = today()
    paid = make_issue(
        w.campaign,
        w.a1,
        creditor_name="乙公司",
        amount_owed=Decimal("500.00"),
        accepted_on=d - datetime.timedelta(days=90),
        extra={"budget": "12", "signed": "2025-12-31"},
    )
    services.repayment_add(
        issue=paid,
        data={"paid_on": d - datetime.timedelta(days=50), "amount": Decimal("500")},
        actor=w.clerk_a1,
    )
    undated = make_issue(w.campaign, w.a1, creditor_name="丙公司", amount_owed=Decimal("80.50"))
    for days, amount in ((9, "0.50"), (3, "30")):
        services.repayment_add(
            issue=undated,
            data={"paid_on": d - datetime.timedelta(days=days), "amount": Decimal(amount)},
            actor=w.clerk_a1,
        )
    make_issue(
        w.campaign,
        w.a1,
        creditor_name="丁公司",
        creditor_is_sme=False,
        amount_owed=Decimal("1234.56"),
        accepted_on=d - datetime.timedelta(days=200),
        payment_term_days=45,
    )
    make_issue(w.campaign, w.a1, cause="", handling_opinion="", subject_credit_code="")
    return w


def test_export_rows_match_the_model_instances_cell_for_cell(client, varied_ledger):
    """The `.values()` rows with the repayments aggregated in the query write the same sheet,
    byte for byte, as rows built from the issues' model instances and their repayments."""
    from integrity.xlsx import write_workbook

    w = varied_ledger
    issues = LedgerIssue.objects.order_by("campaign_id", "agency_id", "number")
    login(client, w.clerk_a1)
    response = client.get(EXPORT, {"campaign": w.campaign.pk})
    schema = excel.LedgerSchema.for_campaign(w.campaign)
    expected = _instance_rows(schema, issues.filter(campaign=w.campaign, agency=w.a1))
    assert len(expected) == 7
    reference = write_workbook([("台账", schema.headers, expected)])
    assert _sheet_xml(response.content) == _sheet_xml(reference)

    login(client, w.office_staff_a)  # several agencies: the prefix columns
    response = client.get(EXPORT)
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    headers = next(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    prefix = [excel.Column("campaign", "", prefix=True), excel.Column("agency", "", prefix=True)]
    multi = excel.LedgerSchema(None, excel.campaign_domains(w.campaign), prefix=prefix)
    assert len(headers) == len(multi.columns)
    expected = _instance_rows(multi, issues, prefix=True)
    reference = write_workbook([("台账", list(headers), expected)])
    assert _sheet_xml(response.content) == _sheet_xml(reference)


def _export_queries(client, w) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        _workbook, rows = sheets(client.get(EXPORT, {"campaign": w.campaign.pk}))
    return len(queries), len(rows) - 1


def test_export_query_count_does_not_grow_with_the_rows(client, ledger):
    """Benchmark B5 exports 100,000 rows: the related names and the repayments come with the
    rows, so 5 and 50 issues (with arrears and repayments) cost the same queries."""
    w = ledger

    def add(count):
        for n in range(count):
            issue = make_issue(
                w.campaign,
                w.a1,
                subject_name=f"主体{n}",
                creditor_name="甲",
                amount_owed=Decimal("10"),
                accepted_on=today() - datetime.timedelta(days=60),
                extra={"method": "公开招标"},
            )
            services.repayment_add(
                issue=issue,
                data={"paid_on": today() - datetime.timedelta(days=1), "amount": Decimal("1")},
                actor=w.clerk_a1,
            )

    add(2)
    login(client, w.clerk_a1)
    client.get(EXPORT, {"campaign": w.campaign.pk})  # warm the session and caches
    few = _export_queries(client, w)
    add(45)
    many = _export_queries(client, w)
    assert (few[1], many[1]) == (5, 50)
    assert many[0] == few[0]
