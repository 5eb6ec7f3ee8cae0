"""The public read API of records, case notices and commitments (/api/v1/public/…, no account):
the same rows and the same masking as the public pages, nothing unpublished, throttling with the
error body, the cache and its invalidation, a fixed number of queries per page, and the
record.published / record.unpublished events of every publicity change."""

import datetime
import html
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Tenant
from domains import services
from domains.api.public import counties_cache_key, county_cache_key, throttle_key
from domains.choices import RecordStatus, RequestKind, RequestOutcome, Severity
from domains.models import KeyDomain
from domains.services import PUBLIC_CACHE_VERSION, PUBLICITY_SWEEP_KEY
from domains.tasks import expire_records
from integrity.masking import mask_id_number, mask_name, mask_phone
from tests.domains.public_helpers import (
    OFFICER_ID,
    OFFICER_NAME,
    OFFICER_PHONE,
    days_ago,
    officer_record,
    prepared,
    public_record,
    service_data,
    today,
    zh,
)
from tests.factories import CommitmentFactory, TrustRecordFactory
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery

DEMO_CODES = ("130826", "130825")


def _forget(tenants) -> None:
    cache.delete(throttle_key("127.0.0.1"))
    cache.delete(PUBLICITY_SWEEP_KEY)
    cache.delete_many([counties_cache_key(language) for language in ("zh-hans", "en", "")])
    for tenant in tenants:
        cache.delete(county_cache_key(tenant.division_code))
        cache.delete(PUBLIC_CACHE_VERSION.format(tenant=tenant.pk))


@pytest.fixture
def county(world):
    """Counties A and B with their defaults; the API's throttle, county and version keys
    forgotten (every test creates its counties anew under the same division codes)."""
    tenants = (world.county_a, world.county_b, world.county_c)
    _forget(tenants)
    yield from prepared(world)
    _forget(tenants)


def code(world) -> str:
    return world.county_a.division_code


def records_url(division_code: str, **params) -> str:
    url = reverse("v1:public-record-list", args=[division_code])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def record_url(division_code: str, record) -> str:
    return reverse("v1:public-record-detail", args=[division_code, record.public_id])


def listed(client, url) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(rows) -> set[str]:
    return {row["public_id"] for row in rows}


def travel(monkeypatch, day: datetime.date) -> None:
    moment = datetime.datetime.combine(day, datetime.time(10), tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: moment)


# Same rows, same masking as the public pages ------------------------------------------------


def _page_records(client, division_code) -> dict[str, str]:
    """{public id: subject as shown} of every row of the public record list, all pages."""
    found, page = {}, 1
    while True:
        response = client.get(reverse("public:record-list", args=[division_code]), {"page": page})
        if response.status_code == 404:
            return found
        rows = re.findall(
            rf'href="/public/{division_code}/records/([0-9a-f-]{{36}})/">([^<]*)</a>',
            response.text,
        )
        if not rows:
            return found
        found.update((public_id, html.unescape(subject)) for public_id, subject in rows)
        page += 1


def _page_facts(client, division_code, public_id) -> str:
    response = client.get(reverse("public:record-detail", args=[division_code, public_id]))
    assert response.status_code == 200
    match = re.search(
        r'<p class="mb-0" style="white-space: pre-line">(.*?)</p>', response.text, re.S
    )
    return html.unescape(match.group(1))


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    tenants = Tenant.objects.filter(division_code__in=DEMO_CODES)
    _forget(tenants)
    yield tenants
    _forget(tenants)


def test_demo_records_and_notices_are_those_of_the_public_pages(client, demo):
    for division_code in DEMO_CODES:
        on_page = _page_records(client, division_code)
        rows = listed(client, records_url(division_code, page_size=1000))
        assert on_page, "the demo publishes records"
        assert {row["public_id"]: row["subject_name"] for row in rows} == on_page
        for row in rows:
            assert row["facts"] == _page_facts(client, division_code, row["public_id"])
            detail = client.get(
                reverse("v1:public-record-detail", args=[division_code, row["public_id"]])
            )
            assert detail.json() == row
        notices = listed(client, reverse("v1:public-notice-list", args=[division_code]))
        for notice in notices:
            page = client.get(
                reverse("public:notice-detail", args=[division_code, notice["public_id"]])
            )
            text = re.search(r'data-testid="notice-text">(.*?)</div>', page.text, re.S).group(1)
            api = client.get(
                reverse("v1:public-notice-detail", args=[division_code, notice["public_id"]])
            ).json()
            assert api["text"] == html.unescape(text)


def test_a_civil_servant_is_masked_like_on_the_public_page(client, county):
    record = officer_record(county)
    row = client.get(record_url(code(county), record)).json()
    assert row["subject_name"] == mask_name(OFFICER_NAME) == "王**"
    assert row["subject_credit_code"] == ""
    assert mask_id_number(OFFICER_ID) in row["facts"]
    assert mask_phone(OFFICER_PHONE) in row["facts"]
    assert row["facts"] == _page_facts(client, code(county), record.public_id)
    for response in (
        client.get(records_url(code(county))),
        client.get(record_url(code(county), record)),
    ):
        for secret in (OFFICER_NAME, OFFICER_ID, OFFICER_PHONE, OFFICER_ID[6:14]):
            assert secret not in response.content.decode()
    assert row["severity"] == zh("Serious")


def test_notice_text_and_its_records_are_masked(client, county):
    record = officer_record(county)
    notice = services.notice_save(
        tenant=county.county_a,
        actor=None,
        data={
            "title": "关于失信案件的通报",
            "body": f"{OFFICER_NAME}（身份证号{OFFICER_ID}，手机{OFFICER_PHONE}）拖欠工程款。",
            "records": [record],
        },
    )
    url = reverse("v1:public-notice-detail", args=[code(county), notice.public_id])
    assert client.get(url).status_code == 404  # a draft
    services.notice_publish(notice=notice, actor=county.office_admin_a)
    body = client.get(url).json()
    assert body["text"] == (
        f"{mask_name(OFFICER_NAME)}（身份证号{mask_id_number(OFFICER_ID)}，"
        f"手机{mask_phone(OFFICER_PHONE)}）拖欠工程款。"
    )
    assert [r["subject_name"] for r in body["records"]] == ["王**"]
    listing = listed(client, reverse("v1:public-notice-list", args=[code(county)]))
    assert [n["public_id"] for n in listing] == [str(notice.public_id)]


def test_a_notice_title_naming_the_cited_person_is_masked_everywhere(client, county):
    record = officer_record(county)
    notice = services.notice_save(
        tenant=county.county_a,
        actor=None,
        data={"title": f"关于{OFFICER_NAME}失信问题的通报", "body": "正文。", "records": [record]},
    )
    services.notice_publish(notice=notice, actor=county.office_admin_a)
    masked = f"关于{mask_name(OFFICER_NAME)}失信问题的通报"
    api_list = listed(client, reverse("v1:public-notice-list", args=[code(county)]))
    api_detail = client.get(
        reverse("v1:public-notice-detail", args=[code(county), notice.public_id])
    ).json()
    assert [n["title"] for n in api_list] == [masked] and api_detail["title"] == masked
    for page in (
        client.get(reverse("public:notice-list", args=[code(county)])).text,
        client.get(reverse("public:notice-detail", args=[code(county), notice.public_id])).text,
    ):
        assert OFFICER_NAME not in page and masked in page


# Only what is public -------------------------------------------------------------------------


HIDDEN = {
    "unpublished": lambda w: public_record(w, is_public=False),
    "light (not published by default)": lambda w: TrustRecordFactory(
        agency=w.a1, severity=Severity.LIGHT
    ),
    "before its decision date": lambda w: public_record(
        w, decision_date=today() + datetime.timedelta(days=3)
    ),
    "after its maximum": lambda w: public_record(w, decision_date=days_ago(3 * 366 + 2)),
    "revoked": lambda w: services.record_revoke(
        record=public_record(w), reason="决定已被撤销", actor=None
    ),
    "publicity ended": lambda w: services.record_end_publicity(
        record=public_record(w), reason="依申请终止公示", actor=None
    ),
    "another county's": lambda w: public_record(w, agency=w.b1),
}


@pytest.mark.parametrize("case", sorted(HIDDEN))
def test_records_not_public_here_are_absent_and_their_detail_is_404(client, county, case):
    record = HIDDEN[case](county)
    shown = public_record(county)
    rows = listed(client, records_url(code(county)))
    assert ids(rows) == {str(shown.public_id)}
    response = client.get(record_url(code(county), record))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.post(record_url(code(county), record)).status_code == 404
    assert client.post(record_url(code(county), shown)).status_code == 405


def test_a_county_is_only_its_own_and_cities_are_not_counties(client, county):
    b_record = public_record(county, agency=county.b1)
    assert ids(listed(client, records_url(county.county_b.division_code))) == {
        str(b_record.public_id)
    }
    assert client.get(records_url(county.city.division_code)).status_code == 404
    assert client.get(records_url("999999")).status_code == 404
    assert client.get(records_url("abc")).status_code == 404
    counties = client.get(reverse("v1:public-county-list")).json()
    assert {c["division_code"] for c in counties} >= {"130826", "130825", "130722"}
    assert "130800" not in {c["division_code"] for c in counties}


def test_filters_of_the_public_page(client, county):
    domain = KeyDomain.objects.filter(tenant=county.county_a).order_by("id").first()
    serious = public_record(county, domain=domain, decision_date=days_ago(10))
    general = public_record(county, severity=Severity.GENERAL, decision_date=days_ago(100))
    officer = officer_record(county)
    url = code(county)
    assert ids(listed(client, records_url(url, severity="general"))) == {str(general.public_id)}
    assert ids(listed(client, records_url(url, domain=domain.pk))) == {str(serious.public_id)}
    assert ids(
        listed(client, records_url(url, decided_since=days_ago(50), decided_until=days_ago(5)))
    ) == {str(serious.public_id), str(officer.public_id)}
    # The search never finds a natural person by name (it would confirm who is listed).
    assert listed(client, records_url(url, q=OFFICER_NAME)) == []
    assert ids(listed(client, records_url(url, q=officer.decision_number))) == {
        str(officer.public_id)
    }
    for bad in (
        {"severity": "bad"},
        {"decided_since": "2026-13-45"},
        {"domain": "x"},
        {"q": "%00"},
    ):
        response = client.get(records_url(url, **bad))
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "invalid"
        assert set(response.json()["error"]["fields"]) == set(bad)


def test_commitments_of_active_agencies(client, county):
    kept = CommitmentFactory(agency=county.a1)
    CommitmentFactory(agency=county.a1, is_public=False)
    other = CommitmentFactory(agency=county.a2)
    url = reverse("v1:public-commitment-list", args=[code(county)])
    assert {row["id"] for row in listed(client, url)} == {kept.pk, other.pk}
    assert [row["id"] for row in listed(client, f"{url}?agency={county.a2.pk}")] == [other.pk]
    row = next(r for r in listed(client, url) if r["id"] == kept.pk)
    assert row["agency"] == county.a1.name and row["title"] == kept.title


# Throttling ------------------------------------------------------------------------------------


def test_throttled_per_address_with_the_error_body(client, county, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"public": "3/min"},
    }
    cache.delete(throttle_key("127.0.0.1"))
    cache.delete(throttle_key("10.0.0.2"))
    for _ in range(3):
        assert client.get(records_url(code(county))).status_code == 200
    response = client.get(records_url(code(county)))
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Another address is counted on its own; a session changes nothing.
    assert client.get(records_url(code(county)), REMOTE_ADDR="10.0.0.2").status_code == 200
    client.force_login(county.office_admin_a)
    assert client.get(records_url(code(county))).status_code == 429
    cache.delete(throttle_key("10.0.0.2"))


# Cache -------------------------------------------------------------------------------------------


def test_a_repeated_request_makes_no_query(client, county, django_assert_num_queries):
    record = officer_record(county)
    for url in (records_url(code(county)), record_url(code(county), record)):
        first = client.get(url)
        assert first.status_code == 200
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.json() == first.json()


def test_the_cache_follows_publishing_objections_and_revocation(
    client, county, django_capture_on_commit_callbacks
):
    record = public_record(county, is_public=False)
    url = records_url(code(county))
    assert listed(client, url) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.record_set_public(record=record, public=True, actor=county.office_admin_a)
    assert ids(listed(client, url)) == {str(record.public_id)}
    assert client.get(record_url(code(county), record)).json()["under_objection"] is False
    with django_capture_on_commit_callbacks(execute=True):
        services.request_submit(record=record, kind=RequestKind.OBJECTION, data=service_data())
    assert listed(client, url)[0]["under_objection"] is True
    assert client.get(record_url(code(county), record)).json()["under_objection"] is True
    with django_capture_on_commit_callbacks(execute=True):
        services.record_revoke(record=record, reason="决定已被撤销", actor=county.office_admin_a)
    assert listed(client, url) == []
    assert client.get(record_url(code(county), record)).status_code == 404


def test_searches_and_later_pages_are_not_cached(client, county, django_assert_num_queries):
    for _ in range(3):
        public_record(county)
    url = records_url(code(county), page_size=2)
    first = client.get(url).json()
    assert first["next"]
    client.get(first["next"])
    with django_assert_num_queries(1):  # the page itself; county and version come from the cache
        second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert ids(first["results"]) | ids(second["results"]) == ids(
        listed(client, records_url(code(county)))
    )


def test_query_count_does_not_depend_on_the_page_size(client, county):
    domain = KeyDomain.objects.filter(tenant=county.county_a).order_by("id").first()
    for n in range(12):
        record = public_record(county, domain=domain if n % 2 else None)
        if n % 3 == 0:
            services.request_submit(record=record, kind=RequestKind.OBJECTION, data=service_data())
    officer_record(county)
    for n in range(6):
        CommitmentFactory(agency=county.a1 if n % 2 else county.a2)
    for name in ("v1:public-record-list", "v1:public-commitment-list", "v1:public-notice-list"):
        url = reverse(name, args=[code(county)])
        client.get(f"{url}?page_size=1")  # the county and the version are cached from here on
        counts = []
        for size in (2, 13):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"{url}?page_size={size}")
            assert response.status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1] <= 2, (name, counts)


# Publicity events ------------------------------------------------------------------------------


@pytest.fixture
def hook(county):
    endpoint, _secret = webhook_services.endpoint_create(
        tenant=county.county_a,
        data={
            "name": "市信用平台",
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["record.published", "record.unpublished"],
            "allow_private": True,
        },
        actor=county.platform_admin,
    )
    return endpoint


def events(endpoint, record=None) -> list[str]:
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id")
    if record is not None:
        deliveries = deliveries.filter(payload__public_id=str(record.public_id))
    return [d.event_type for d in deliveries]


def test_a_record_published_emits_its_masked_public_representation(client, county, hook):
    record = officer_record(county)
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert delivery.event_type == "record.published"
    assert delivery.event_tenant_id == county.county_a.pk
    api = client.get(record_url(code(county), record)).json()
    assert delivery.payload == {"division_code": code(county), **api}
    for secret in (OFFICER_NAME, OFFICER_ID, OFFICER_PHONE):
        assert secret not in str(delivery.payload)
    TrustRecordFactory(agency=county.a1, is_public=False)
    TrustRecordFactory(agency=county.b1, is_public=True)  # county B has no endpoint
    assert events(hook) == ["record.published"]


def _repaired(world):
    record = public_record(world, decision_date=days_ago(400))
    request = services.request_submit(
        record=record,
        kind=RequestKind.REPAIR,
        data=service_data(declares_corrected=True, declares_commitment=True, declares_other=True),
    )
    services.request_decide(
        request=request,
        outcome=RequestOutcome.REPAIRED,
        reason="已修复",
        actor=world.office_admin_a,
        confirmed={
            "confirmed_corrected": True,
            "confirmed_commitment": True,
            "confirmed_other": True,
        },
    )
    return record


def _objection(world, outcome, **extra):
    record = public_record(world)
    request = services.request_submit(
        record=record, kind=RequestKind.OBJECTION, data=service_data()
    )
    services.request_decide(
        request=request, outcome=outcome, reason="经核查", actor=world.office_admin_a, **extra
    )
    return record


def _set_public(world, *flags):
    record = public_record(world, is_public=False)
    for flag in flags:
        services.record_set_public(record=record, public=flag, actor=world.office_admin_a)
    return record


TRANSITIONS = {
    # name: (builder, events of the record in order)
    "created public": (lambda w: public_record(w), ["record.published"]),
    "created unpublished": (lambda w: public_record(w, is_public=False), []),
    "published later": (lambda w: _set_public(w, True), ["record.published"]),
    "published then unpublished": (
        lambda w: _set_public(w, True, False),
        ["record.published", "record.unpublished"],
    ),
    "facts edited while public": (
        lambda w: services.record_update(
            record=public_record(w), data={"facts": "更正后的事实。"}, actor=w.office_admin_a
        ),
        ["record.published"],
    ),
    "publicity ended": (
        lambda w: services.record_end_publicity(record=public_record(w), reason="终止", actor=None),
        ["record.published", "record.unpublished"],
    ),
    "revoked": (
        lambda w: services.record_revoke(record=public_record(w), reason="撤销", actor=None),
        ["record.published", "record.unpublished"],
    ),
    "revoked while unpublished": (
        lambda w: services.record_revoke(
            record=public_record(w, is_public=False), reason="撤销", actor=None
        ),
        [],
    ),
    "objection upheld: revoked": (
        lambda w: _objection(w, RequestOutcome.REVOKED),
        ["record.published", "record.unpublished"],
    ),
    "objection upheld: corrected": (
        lambda w: _objection(w, RequestOutcome.CORRECTED, corrected_facts="更正后的事实。"),
        ["record.published"],
    ),
    "objection rejected": (
        lambda w: _objection(w, RequestOutcome.REJECTED),
        ["record.published"],
    ),
    "repaired": (_repaired, ["record.published", "record.unpublished"]),
    "decision date moved past the window": (
        lambda w: services.record_update(
            record=public_record(w), data={"decision_date": days_ago(3 * 366 + 2)}, actor=None
        ),
        ["record.published", "record.unpublished"],
    ),
}


@pytest.mark.parametrize("case", sorted(TRANSITIONS))
def test_every_publicity_change_emits_one_event(county, hook, case):
    builder, expected = TRANSITIONS[case]
    record = builder(county)
    assert events(hook, record) == expected


def test_the_nightly_job_ends_publicity_by_date_and_announces_it(client, county, hook, monkeypatch):
    decided = days_ago(400)
    punished_until = today() + datetime.timedelta(days=30)
    travel(monkeypatch, decided + datetime.timedelta(days=10))
    record = public_record(county, severity=Severity.GENERAL, decision_date=decided)
    kept = public_record(
        county, severity=Severity.GENERAL, decision_date=decided, punishment_end=punished_until
    )
    monkeypatch.undo()
    assert record.publicity_max_end < today()
    assert events(hook, record) == ["record.published"]
    assert client.get(record_url(code(county), record)).status_code == 404  # the date decides

    assert expire_records.delay().get() == 1  # `record` is 已届满; `kept` is still punished
    record.refresh_from_db()
    kept.refresh_from_db()
    assert record.status == RecordStatus.EXPIRED
    assert record.publicity_ended_on == record.publicity_max_end
    assert record.publicity_end_reason == zh("Publicity period over")
    assert kept.status == RecordStatus.ACTIVE
    assert kept.publicity_ended_on == kept.publicity_max_end
    unpublished = WebhookDelivery.objects.get(
        endpoint=hook, event_type="record.unpublished", payload__public_id=str(record.public_id)
    )
    assert unpublished.payload["decision_number"] == record.decision_number
    assert events(hook, kept) == ["record.published", "record.unpublished"]

    expire_records.delay().get()
    assert len(events(hook)) == 4  # nothing twice

    # A corrected decision date opens a new window: publicity ended by date only comes back.
    services.record_update(record=kept, data={"decision_date": days_ago(10)}, actor=None)
    kept.refresh_from_db()
    assert kept.publicity_ended_on is None
    assert events(hook, kept) == ["record.published", "record.unpublished", "record.published"]
    assert client.get(record_url(code(county), kept)).status_code == 200


def test_a_record_decided_for_a_later_date_is_announced_on_that_date(
    client, county, hook, monkeypatch, django_capture_on_commit_callbacks
):
    day = today()
    travel(monkeypatch, days_ago(5))
    record = public_record(county, decision_date=day)
    monkeypatch.undo()
    other = public_record(county, decision_date=day)  # entered on its decision date
    assert events(hook, record) == []
    assert events(hook, other) == ["record.published"]
    with django_capture_on_commit_callbacks(execute=True):  # the sweep notes its date on commit
        expire_records.delay().get()
    delivery = WebhookDelivery.objects.get(endpoint=hook, payload__public_id=str(record.public_id))
    assert delivery.event_type == "record.published"
    assert delivery.payload == {
        "division_code": code(county),
        **client.get(record_url(code(county), record)).json(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        expire_records.delay().get()
    assert events(hook, record) == ["record.published"]
    assert events(hook, other) == ["record.published"]
