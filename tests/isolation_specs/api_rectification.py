"""API endpoints of campaign work (/api/v1/…). The builders make everything through the
services, as the pages do."""

import datetime
from decimal import Decimal

from . import ObjectURL
from .rectification_investment import make_flag, make_project

SECTIONS = {
    "overview": "<p>全面自查。</p>",
    "causes": "<p>资金紧张。</p>",
    "measures": "<p>限期支付。</p>",
    "next_steps": "<p>建立长效机制。</p>",
}


def campaign(agency):
    from tests.factories import make_campaign

    return make_campaign(agency.tenant, [agency])


def participation(agency):
    return campaign(agency).participations.get()


def issue(agency):
    from tests.factories import make_issue

    return make_issue(campaign(agency), agency)


def repayment(agency):
    from rectification import services
    from tests.factories import make_issue

    arrears = make_issue(
        campaign(agency),
        agency,
        creditor_name="承德宏达建筑有限公司",
        contract="办公楼维修合同",
        accepted_on=datetime.date.today() - datetime.timedelta(days=90),
        amount_owed=Decimal("100000.00"),
    )
    return services.repayment_add(
        issue=arrears,
        data={"paid_on": datetime.date.today(), "amount": Decimal("40000.00")},
        actor=None,
    )


def filing(agency):
    from rectification import services

    return services.filing_get_or_create(
        campaign=campaign(agency), agency=agency, kind="self_inspection_report", actor=None
    )


def filing_version(agency):
    from accounts.choices import Role
    from rectification import services
    from tests.factories import UserFactory

    draft = filing(agency)
    services.filing_save(filing=draft, sections=SECTIONS, actor=None)
    services.filing_request_signoff(filing=draft, actor=None)
    leader = UserFactory(role=Role.AGENCY_LEADER, tenant=agency.tenant, agency=agency)
    return services.filing_sign_off(filing=draft, actor=leader)


def milestone(agency):
    from rectification import services

    return services.milestone_save(
        campaign=campaign(agency),
        agency=agency,
        data={
            "title": "完成欠款清偿",
            "due_on": datetime.date.today() + datetime.timedelta(days=30),
            "owner": "李四",
        },
        actor=None,
    )


def milestone_update(agency):
    from rectification import services

    return services.milestone_report(
        milestone=milestone(agency), note="已清偿一半。", progress=50, actor=None
    )


def _agency_owned(build, actor="office_admin_a"):
    return ObjectURL(
        lambda w: build(w.b1),
        lambda w: build(w.a2),
        lambda w: build(w.c1),
        actor=actor,
        own=lambda w: build(w.a1),
    )


OBJECT_URLS = {
    "v1:campaign-detail": _agency_owned(campaign),
    "v1:campaign-participation-detail": _agency_owned(participation),
    "v1:ledger-issue-detail": _agency_owned(issue, actor="clerk_a1"),
    "v1:repayment-detail": _agency_owned(repayment, actor="clerk_a1"),
    "v1:filing-detail": _agency_owned(filing),
    "v1:filing-version-detail": _agency_owned(filing_version),
    "v1:milestone-detail": _agency_owned(milestone, actor="clerk_a1"),
    "v1:milestone-update-detail": _agency_owned(milestone_update),
    "v1:investment-project-detail": _agency_owned(make_project, actor="clerk_a1"),
    "v1:duplicate-flag-detail": ObjectURL(
        lambda w: make_flag(w.county_b),
        own=lambda w: make_flag(w.county_a),
    ),
}

NON_OBJECT_URLS = {
    "v1:campaign-list",
    "v1:campaign-participation-list",
    "v1:ledger-issue-list",
    "v1:repayment-list",
    "v1:filing-list",
    "v1:filing-version-list",
    "v1:milestone-list",
    "v1:milestone-update-list",
    "v1:investment-project-list",
    "v1:duplicate-flag-list",
}
