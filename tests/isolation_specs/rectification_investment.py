"""The integrated investment-project ledger, its duplicate flags, and the founded complaint →
ledger issue action on the complaint page. The builders are shared by the API's spec and the
tests of tests/rectification/test_investment.py."""

import datetime
from decimal import Decimal

from . import ObjectURL

_counter = iter(range(1, 1_000_000))


def project_data(**overrides) -> dict:
    n = next(_counter)
    from tests.factories import credit_code

    data = {
        "name": f"年产{n}万吨饲料加工项目",
        "investor_name": f"承德第{n}饲料有限公司",
        "investor_credit_code": credit_code(9_000_000 + n),
        "signed_on": datetime.date(2026, 3, 1),
        "amount": Decimal("50000000.00"),
        "industry": "农产品加工",
        "location": "大阁镇",
        "commitments": "",
        "status": "signed",
    }
    data.update(overrides)
    return data


def make_project(agency, actor=None, **overrides):
    from rectification import services

    return services.project_save(agency=agency, data=project_data(**overrides), actor=actor)


def make_flag(tenant):
    """Two agencies of `tenant` signing with the same investor: an open flag."""
    from tests.factories import AgencyFactory

    first, second = AgencyFactory(tenant=tenant), AgencyFactory(tenant=tenant)
    project = make_project(first)
    make_project(second, investor_credit_code=project.investor_credit_code)
    from rectification.models import DuplicateFlag

    return DuplicateFlag.objects.get(tenant=tenant)


def _project(agency_attr):
    return lambda w: make_project(getattr(w, agency_attr))


def _founded_complaint(agency_attr):
    def build(w):
        from tests.supervision.complaint_helpers import make_complaint

        return make_complaint(getattr(w, agency_attr), "verified")

    return build


OBJECT_URLS: dict[str, ObjectURL] = {
    "rectification:project-detail": ObjectURL(
        _project("b1"),
        other_agency=_project("a2"),
        other_city=_project("c1"),
        actor="clerk_a1",
        own=_project("a1"),
    ),
    "rectification:project-edit": ObjectURL(
        _project("b1"), other_agency=_project("a2"), actor="clerk_a1", own=_project("a1")
    ),
    "rectification:duplicate-decide": ObjectURL(
        lambda w: make_flag(w.county_b),
        actor="office_staff_a",
        own=lambda w: make_flag(w.county_a),
    ),
    "supervision:complaint-to-issue": ObjectURL(
        _founded_complaint("b1"),
        other_agency=_founded_complaint("a2"),
        actor="office_staff_a",
        own=_founded_complaint("a1"),
    ),
}

NON_OBJECT_URLS = {
    "rectification:project-list",
    "rectification:project-export",
    "rectification:project-create",
    "rectification:duplicate-list",
}
