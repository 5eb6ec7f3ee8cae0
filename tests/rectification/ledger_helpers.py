"""Builders shared by the ledger, import and export tests and by
tests/isolation_specs/rectification_ledger.py."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_campaign, make_issue
from tests.upload_corpus import xlsx


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


def campaign_for(agency, **fields):
    return make_campaign(agency.tenant, [agency], **fields)


def issue_for(agency, campaign=None, status="pending", arrears=False, **fields):
    """An issue of `agency` (in a new running campaign unless given), in `status`:
    pending, rectified or closed; with arrears and a repayment when `arrears`."""
    from rectification import services

    campaign = campaign or campaign_for(agency)
    if arrears:
        fields = {
            "creditor_name": "承德市建工集团有限公司",
            "amount_owed": Decimal("100000.00"),
            "accepted_on": today() - datetime.timedelta(days=40),
            **fields,
        }
    issue = make_issue(campaign, agency, **fields)
    if arrears:
        services.repayment_add(
            issue=issue,
            data={"paid_on": today() - datetime.timedelta(days=2), "amount": Decimal("1000")},
            actor=None,
        )
    if status in ("rectified", "closed"):
        services.issue_report_rectified(issue=issue, note="已整改", rectified_on=None, actor=None)
    if status == "closed":
        services.issue_verify(issue=issue, close=True, note="核实销号", actor=None)
    issue.refresh_from_db()
    return issue


def repayment_for(agency):
    return issue_for(agency, arrears=True).repayments.get()


def workbook_bytes(headers, rows, *, title="台账") -> bytes:
    return xlsx(headers, rows, title=title)


def upload_file(content: bytes, name="台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name,
        content,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def headers_for(campaign) -> list[str]:
    from rectification.excel import LedgerSchema

    return LedgerSchema.for_campaign(campaign).headers


def row_for(campaign, **values) -> list:
    """A template row for `campaign` (values by column key; extra fields as x_<key>)."""
    from domains.models import ProblemType
    from rectification.excel import LedgerSchema

    schema = LedgerSchema.for_campaign(campaign)
    domain = campaign.domains.order_by("position", "id").first()
    problem_type = ProblemType.objects.filter(tenant=campaign.tenant).order_by("position", "id")
    defaults = {
        "domain": domain.name,
        "problem_type": problem_type.first().name,
        "subject_name": "县财政局",
        "responsible_person": "王建国",
        "discovered_on": (today() - datetime.timedelta(days=3)).isoformat(),
    }
    defaults.update(values)
    row = []
    for column in schema.columns:
        key = f"x_{column.domain_field.key}" if column.domain_field else column.key
        row.append(defaults.get(key))
    return row


def import_job_for(agency, *, check=True, campaign=None, rows=None, user=None):
    """An import job of `agency` (checked unless check=False: then still queued)."""
    from accounts.choices import Role
    from accounts.models import User
    from rectification import importing
    from tests.factories import UserFactory

    campaign = campaign or campaign_for(agency)
    user = user or (
        User.objects.filter(agency=agency, role=Role.AGENCY_CLERK).first()
        or UserFactory(role=Role.AGENCY_CLERK, tenant=agency.tenant, agency=agency)
    )
    rows = rows if rows is not None else [row_for(campaign)]
    content = workbook_bytes(headers_for(campaign), rows)
    job = importing.job_start(
        campaign=campaign,
        agency=agency,
        uploaded=upload_file(content),
        actor=user,
        language="zh-hans",
    )
    if check:
        job = importing.job_check(job.pk)
    return job
