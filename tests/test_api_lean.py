"""The lean list pages of the largest API collections (integrity.api_lean): records and ledger
issues come out exactly as their ModelSerializer writes them — masking, nested measures,
objection flag, derived arrears figures included — in a number of queries that does not grow
with the rows of the page (what benchmarks B3 and B6 measure)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request
from rest_framework.test import APIClient

from domains import services as record_services
from domains.api.serializers import TrustRecordSerializer
from domains.models import PunishmentMeasure, TrustRecord
from domains.selectors import with_objection_flag
from rectification.api.serializers import LedgerIssueSerializer
from rectification.models import LedgerIssue
from tests.factories import TrustRecordFactory, resident_id
from tests.rectification.ledger_helpers import campaign_for, issue_for

RECORDS = "/api/v1/records/"
ISSUES = "/api/v1/ledger-issues/"


def page(api, user, url):
    api.force_login(user)
    response = api.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def serializer_body(serializer_class, instances, user):
    """What the ModelSerializer writes for these rows, for this user."""
    request = Request(RequestFactory().get("/"))
    request.user = user
    return serializer_class(instances, many=True, context={"request": request}).data


@pytest.fixture
def records(world):
    w = world
    civil = TrustRecordFactory(
        agency=w.a1,
        subject_type="civil_servant",
        subject_name="张三",
        person_id_number=resident_id(7),
        person_position="科长",
        severity="general",
    )
    TrustRecordFactory(agency=w.a2, severity="light")
    agency_record = TrustRecordFactory(agency=w.a1)
    PunishmentMeasure.objects.create(
        tenant=w.county_a,
        record=agency_record,
        measure_type="criticism",
        date=datetime.date.today(),
        issuing_body="县人民政府",
        note="通报",
    )
    PunishmentMeasure.objects.create(
        tenant=w.county_a,
        record=agency_record,
        measure_type="written_warning",
        date=datetime.date.today() - datetime.timedelta(days=3),
        issuing_body="县信用办",
    )
    record_services.request_submit(
        record=agency_record,
        kind="objection",
        data={"applicant_name": "李四", "applicant_phone": "13800000000", "reason": "事实有误"},
    )
    return civil, agency_record


@pytest.mark.parametrize("role", ["office_admin_a", "clerk_a1", "city_viewer"])
def test_a_records_page_is_the_serializers_body(world, records, role):
    user = getattr(world, role)
    body = page(APIClient(), user, RECORDS)
    rows = with_objection_flag(TrustRecord.objects.for_user(user).order_by("sync_txid", "id"))
    assert body == serializer_body(TrustRecordSerializer, list(rows), user)
    assert body, "the user reads some records"
    civil = next((r for r in body if r["subject_type"] == "civil_servant"), None)
    if civil is not None:
        shown = civil["person_id_number"]
        assert (shown == records[0].person_id_number) == (role == "office_admin_a")
    measured = next(r for r in body if r["id"] == records[1].pk) if role != "city_viewer" else None
    if measured is not None:
        assert measured["under_objection"] is True
        assert [m["measure_type"] for m in measured["measures"]] == [
            "written_warning",
            "criticism",
        ]


def test_a_ledger_page_is_the_serializers_body(world):
    w = world
    campaign = campaign_for(w.a1)
    issue_for(w.a1, campaign, arrears=True)  # a repayment two days ago
    issue_for(w.a1, campaign, status="closed")
    issue_for(
        w.a1,
        campaign,
        arrears=True,
        accepted_on=datetime.date.today() - datetime.timedelta(days=200),
        amount_owed=Decimal("5000.50"),
        discovered_on=datetime.date.today() - datetime.timedelta(days=100),
        deadline=datetime.date.today() - datetime.timedelta(days=10),
    )
    for user in (w.office_admin_a, w.clerk_a1):
        body = page(APIClient(), user, ISSUES)
        rows = (
            LedgerIssue.objects.for_user(user)
            .prefetch_related("repayments")
            .order_by("sync_txid", "id")
        )
        expected = serializer_body(LedgerIssueSerializer, list(rows), user)
        assert body == expected
        overdue = [r for r in body if r["days_overdue"]]
        assert overdue and all(Decimal(r["interest_due"]) > 0 for r in overdue)
        assert any(r["is_overdue"] for r in body)


def _queries(api, user, url) -> int:
    api.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_the_lean_pages_take_the_same_queries_for_3_rows_as_for_30(world):
    w = world
    campaign = campaign_for(w.a1)
    for _ in range(3):
        TrustRecordFactory(agency=w.a1)
        issue_for(w.a1, campaign, arrears=True)
    api = APIClient()
    few = (_queries(api, w.office_admin_a, RECORDS), _queries(api, w.office_admin_a, ISSUES))
    for _ in range(27):
        TrustRecordFactory(agency=w.a1)
        issue_for(w.a1, campaign, arrears=True)
    many = (_queries(api, w.office_admin_a, RECORDS), _queries(api, w.office_admin_a, ISSUES))
    assert few == many
