"""Campaign pages, filings (with versions, printing and evidence), milestones, the overdue
list and the notifications page. The builders are shared with tests/rectification/test_*.py
of the campaign, filing and plan pages."""

import datetime

from . import ObjectURL

SECTIONS_TEXT = "<p>已按要求完成。</p>"


def campaign_for(tenant, agencies, launch=True, **fields):
    from tests.factories import make_campaign

    return make_campaign(tenant, agencies, launch=launch, **fields)


def leader_of(agency):
    """The agency's leader (made when it has none)."""
    from accounts.choices import Role
    from accounts.models import User
    from tests.factories import UserFactory

    leader = User.objects.filter(agency=agency, role=Role.AGENCY_LEADER).first()
    return leader or UserFactory(role=Role.AGENCY_LEADER, tenant=agency.tenant, agency=agency)


def fill_sections(filing, text=SECTIONS_TEXT):
    from rectification import services
    from rectification.choices import FILING_SECTIONS

    sections = {key: text for key, _label, _help in FILING_SECTIONS[filing.kind]}
    return services.filing_save(filing=filing, sections=sections, actor=None)


def make_filing(agency, status="draft", kind="self_inspection_report", campaign=None):
    """A filing of `agency` in a new running campaign (or `campaign`): a draft, awaiting
    sign-off, or submitted (version 1)."""
    from rectification import services

    campaign = campaign or campaign_for(agency.tenant, [agency])
    filing = services.filing_get_or_create(campaign=campaign, agency=agency, kind=kind, actor=None)
    if status == "draft":
        return filing
    fill_sections(filing)
    if kind == "rectification_plan":
        make_milestone(agency, campaign=campaign)
    services.filing_request_signoff(filing=filing, actor=None)
    if status == "submitted":
        services.filing_sign_off(filing=filing, actor=leader_of(agency))
    filing.refresh_from_db()
    return filing


def make_milestone(agency, campaign=None, due_on=None, **data):
    from rectification import services

    campaign = campaign or campaign_for(agency.tenant, [agency])
    data = {
        "title": "完成欠款清偿",
        "due_on": due_on or datetime.date.today() + datetime.timedelta(days=15),
        "owner": "李明",
        **data,
    }
    return services.milestone_save(campaign=campaign, agency=agency, data=data, actor=None)


def make_evidence(agency):
    from rectification import services
    from tests.supervision.complaint_helpers import pdf

    return services.evidence_add(parent=make_filing(agency), uploaded=pdf(), actor=None)


def _campaign(tenant_attr, agency_attrs, launch=True):
    return lambda w: campaign_for(
        getattr(w, tenant_attr), [getattr(w, a) for a in agency_attrs], launch=launch
    )


def _filing(agency_attr, status="draft"):
    return lambda w: make_filing(getattr(w, agency_attr), status)


def _milestone(agency_attr):
    return lambda w: make_milestone(getattr(w, agency_attr))


def _evidence(agency_attr):
    return lambda w: make_evidence(getattr(w, agency_attr))


def _campaign_spec(launch=True, actor="office_admin_a", other_city=False):
    return ObjectURL(
        _campaign("county_b", ["b1"], launch),
        other_agency=_campaign("county_a", ["a2"], launch),
        other_city=_campaign("county_c", ["c1"], launch) if other_city else None,
        actor=actor,
        own=_campaign("county_a", ["a1"], launch),
    )


def _agency_spec(build, actor, other_city=False):
    return ObjectURL(
        build("b1"),
        other_agency=build("a2"),
        other_city=build("c1") if other_city else None,
        actor=actor,
        own=build("a1"),
    )


OBJECT_URLS: dict[str, ObjectURL] = {
    "rectification:campaign-detail": _campaign_spec(other_city=True),
    "rectification:campaign-export": _campaign_spec(other_city=True),
    "rectification:campaign-edit": _campaign_spec(launch=False),
    "rectification:campaign-launch": _campaign_spec(launch=False),
    "rectification:campaign-delete": _campaign_spec(launch=False),
    "rectification:campaign-close": _campaign_spec(),
    "rectification:filing-open": _campaign_spec(actor="clerk_a1"),
    "rectification:milestone-create": _campaign_spec(actor="clerk_a1"),
    "rectification:filing-detail": _agency_spec(_filing, "office_staff_a", other_city=True),
    "rectification:filing-edit": _agency_spec(_filing, "clerk_a1"),
    "rectification:filing-attach": _agency_spec(_filing, "clerk_a1"),
    "rectification:filing-action": _agency_spec(
        lambda a: _filing(a, "submitted"), "office_staff_a"
    ),
    "rectification:filing-version": _agency_spec(
        lambda a: _filing(a, "submitted"), "office_staff_a", other_city=True
    ),
    "rectification:filing-print": _agency_spec(_filing, "office_staff_a", other_city=True),
    "rectification:evidence-download": _agency_spec(_evidence, "office_staff_a", other_city=True),
    "rectification:evidence-delete": _agency_spec(_evidence, "clerk_a1"),
    "rectification:milestone-detail": _agency_spec(_milestone, "office_staff_a", other_city=True),
    "rectification:milestone-edit": _agency_spec(_milestone, "clerk_a1"),
    "rectification:milestone-delete": _agency_spec(_milestone, "clerk_a1"),
    "rectification:milestone-report": _agency_spec(_milestone, "clerk_a1"),
}

NON_OBJECT_URLS = {
    "rectification:campaign-list",
    "rectification:campaign-create",
    "rectification:overdue",
    "rectification:overdue-export",
    "accounts:notification-list",
    "accounts:notification-read",
}
