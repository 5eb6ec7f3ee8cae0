"""The public read API of the rankings (/api/v1/public/<code>/rankings/…, agencies/…): the same
rankings, notices and profiles as the public pages, withdrawn publications without their
rankings, masked free text, the cache that publishing and withdrawing move, and a fixed number
of queries per page."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from domains import services as domain_services
from domains.api.public import county_cache_key, throttle_key
from domains.choices import CommitmentStatus
from domains.services import PUBLIC_CACHE_VERSION as RECORDS_VERSION
from integrity.masking import mask_id_number, mask_phone
from scoring import services
from scoring.choices import PublicationStatus
from scoring.services import PUBLIC_CACHE_VERSION
from tests.domains.public_helpers import OFFICER_ID, OFFICER_NAME, OFFICER_PHONE
from tests.factories import AgencyFactory, CommitmentFactory, TrustRecordFactory, ensure_defaults
from tests.isolation_specs.scoring_public import make_publication
from tests.scoring.test_public import detail_url, profile_url, table


def _forget(world) -> None:
    cache.delete(throttle_key("127.0.0.1"))
    for tenant in (world.county_a, world.county_b):
        cache.delete(county_cache_key(tenant.division_code))
        cache.delete(PUBLIC_CACHE_VERSION.format(tenant=tenant.pk))
        cache.delete(RECORDS_VERSION.format(tenant=tenant.pk))


@pytest.fixture
def county(world):
    """County A with a second department (a3), so the department group has a ranking."""
    ensure_defaults(world.county_a)
    world.a3 = AgencyFactory(tenant=world.county_a, name="县交通局")
    _forget(world)
    yield world
    _forget(world)


def publish(w, captured, **kwargs):
    with captured(execute=True):
        return make_publication(w.county_a, **kwargs)


def withdraw(captured, publication, reason):
    with captured(execute=True):
        return services.publication_withdraw(publication=publication, reason=reason, actor=None)


def api_list_url(tenant):
    return reverse("v1:public-ranking-list", args=[tenant.division_code])


def api_detail_url(tenant, publication):
    return reverse("v1:public-ranking-detail", args=[tenant.division_code, publication.pk])


def api_agency_url(tenant, agency):
    return reverse("v1:public-agency-detail", args=[tenant.division_code, agency.pk])


def test_a_ranking_is_the_one_of_the_public_page(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    publication = publish(
        w,
        django_capture_on_commit_callbacks,
        year=2025,
        manual={w.a1: 5, w.a3: 2},
        notice=f"现将2025年度督导评分结果通报如下。联系电话 {OFFICER_PHONE}。",
    )
    body = client.get(api_detail_url(w.county_a, publication)).json()
    assert body["status"] == PublicationStatus.PUBLISHED and body["title"] == publication.title
    assert (
        body["notice"]
        == f"现将2025年度督导评分结果通报如下。联系电话 {mask_phone(OFFICER_PHONE)}。"
    )
    page = client.get(detail_url(w.county_a, publication))
    groups = body["ranking"]["groups"]
    assert [g["code"] for g in groups] == ["township", "department"]
    for index, group in enumerate(groups):
        on_page = [row[:4] for row in table(page, "ranking-table", index)[1:]]
        in_api = [
            [str(r["rank"]), r["agency"], r["total"], r["grade"] or "—"] for r in group["rows"]
        ]
        assert in_api == on_page
    departments = groups[1]["rows"]
    assert [r["agency"] for r in departments] == ["县财政局", "县交通局"]
    assert departments[0]["total"] == publication.snapshot["groups"][0]["rows"][0]["total"]
    assert len(departments[0]["categories"]) == len(body["ranking"]["categories"])
    grades = table(page, "grade-table")
    assert [d["total"] for d in body["ranking"]["distribution"]] == [
        int(row[-1]) for row in grades[1:]
    ]

    listing = client.get(api_list_url(w.county_a)).json()
    assert [p["id"] for p in listing["results"]] == [publication.pk]
    assert listing["results"][0]["notice"] == body["notice"]
    assert listing["next"] is None


def test_a_withdrawn_publication_shows_its_reason_never_its_ranking(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    publication = publish(w, django_capture_on_commit_callbacks, year=2025, notice="通报正文")
    withdraw(
        django_capture_on_commit_callbacks,
        publication,
        f"评分有误，联系人身份证号{OFFICER_ID}，待更正后重新发布。",
    )
    body = client.get(api_detail_url(w.county_a, publication)).json()
    assert body["status"] == PublicationStatus.WITHDRAWN
    assert body["ranking"] is None and body["notice"] == ""
    assert body["withdrawal_reason"] == (
        f"评分有误，联系人身份证号{mask_id_number(OFFICER_ID)}，待更正后重新发布。"
    )
    assert w.a1.name not in str(body)
    listing = client.get(api_list_url(w.county_a)).json()["results"]
    assert [(p["id"], p["status"]) for p in listing] == [(publication.pk, "withdrawn")]


def test_other_countys_and_unknown_objects_are_404(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    own = publish(w, django_capture_on_commit_callbacks, year=2025)
    theirs = make_publication(w.county_b, year=2025)
    for url in (
        api_detail_url(w.county_a, theirs),
        reverse("v1:public-ranking-detail", args=["130826", 10**8]),
        reverse("v1:public-ranking-detail", args=["999999", own.pk]),
        reverse("v1:public-ranking-list", args=[w.city.division_code]),
        api_agency_url(w.county_a, w.b1),
        reverse("v1:public-agency-detail", args=["130826", 10**8]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
    assert client.get(api_detail_url(w.county_b, theirs)).status_code == 200


def test_agency_profile_matches_the_public_page(client, county, django_capture_on_commit_callbacks):
    w = county
    publish(w, django_capture_on_commit_callbacks, year=2024, manual={w.a1: 5})
    latest = publish(w, django_capture_on_commit_callbacks, year=2025)
    officer = TrustRecordFactory(
        agency=w.a1,
        is_public=True,
        subject_type="civil_servant",
        subject_name=OFFICER_NAME,
        person_id_number=OFFICER_ID,
        person_position="科长",
        facts=f"{OFFICER_NAME}（{OFFICER_ID}）拖欠工程款。",
    )
    hidden = TrustRecordFactory(agency=w.a1, is_public=False)
    TrustRecordFactory(agency=w.a3, is_public=True)
    kept = CommitmentFactory(agency=w.a1, title="企业开办一日办结")
    CommitmentFactory(agency=w.a1, title="内部承诺", is_public=False)
    domain_services.commitment_set_status(
        commitment=kept, status=CommitmentStatus.FULFILLED, note="", actor=w.office_admin_a
    )

    body = client.get(api_agency_url(w.county_a, w.a1)).json()
    page = client.get(profile_url(w.county_a, w.a1))
    assert body["agency"]["name"] == "县财政局" and body["agency"]["is_active"] is True
    history = table(page, "score-history")[1:]
    assert [(s["period"], s["total"], s["grade"] or "—") for s in body["scores"]] == [
        (row[0], row[1], row[3]) for row in history
    ]
    assert body["scores"][-1]["publication_id"] == latest.pk
    assert [c["name"] for c in body["breakdown"]] == [
        row[0] for row in table(page, "score-breakdown")[1:]
    ]
    assert [r["public_id"] for r in body["records"]] == [str(officer.public_id)]
    assert body["records"][0]["subject_name"] == "王**"
    assert str(hidden.public_id) not in str(body)
    assert OFFICER_NAME not in str(body) and OFFICER_ID not in str(body)
    assert [(c["title"], c["status"]) for c in body["commitments"]] == [
        ("企业开办一日办结", str(CommitmentStatus.FULFILLED.label))
    ]
    assert body["commitments"][0]["status"] in page.text


def test_profile_of_an_inactive_agency_only_while_a_ranking_lists_it(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    publish(w, django_capture_on_commit_callbacks, year=2025)
    never = AgencyFactory(tenant=w.county_a, name="从未参评", is_active=False)
    w.a2.is_active = False
    w.a2.save(update_fields=["is_active"])
    assert client.get(api_agency_url(w.county_a, w.a2)).status_code == 200
    assert client.get(api_agency_url(w.county_a, never)).status_code == 404


def test_cache_serves_repeats_and_publishing_or_withdrawing_shows_at_once(
    client, county, django_capture_on_commit_callbacks, django_assert_num_queries
):
    w = county
    first = publish(w, django_capture_on_commit_callbacks, year=2024)
    urls = (
        api_list_url(w.county_a),
        api_detail_url(w.county_a, first),
        api_agency_url(w.county_a, w.a1),
    )
    for url in urls:
        assert client.get(url).status_code == 200
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200

    second = publish(w, django_capture_on_commit_callbacks, year=2025)
    # In change order, like every API collection: the last write last.
    listing = client.get(api_list_url(w.county_a)).json()["results"]
    assert [p["id"] for p in listing] == [first.pk, second.pk]
    assert len(client.get(api_agency_url(w.county_a, w.a1)).json()["scores"]) == 2

    withdraw(django_capture_on_commit_callbacks, second, "数据有误")
    listing = client.get(api_list_url(w.county_a)).json()["results"]
    assert [(p["id"], p["status"]) for p in listing] == [
        (first.pk, "published"),
        (second.pk, "withdrawn"),
    ]
    assert len(client.get(api_agency_url(w.county_a, w.a1)).json()["scores"]) == 1

    # The profile's records follow the records' version.
    with django_capture_on_commit_callbacks(execute=True):
        record = TrustRecordFactory(agency=w.a1, is_public=True)
    records = client.get(api_agency_url(w.county_a, w.a1)).json()["records"]
    assert [r["public_id"] for r in records] == [str(record.public_id)]


def test_publication_list_query_count_does_not_depend_on_the_page_size(
    client, county, django_capture_on_commit_callbacks
):
    w = county
    for year in (2023, 2024, 2025):
        publish(w, django_capture_on_commit_callbacks, year=year)
    url = api_list_url(w.county_a)
    client.get(f"{url}?page_size=1")  # county and version cached from here on
    counts = []
    for size in (2, 3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{url}?page_size={size}")
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] == 1
    first_page = client.get(f"{url}?page_size=2").json()
    rest = client.get(first_page["next"]).json()
    assert len(first_page["results"]) + len(rest["results"]) == 3 and rest["next"] is None
