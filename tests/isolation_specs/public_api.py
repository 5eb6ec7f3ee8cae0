"""The public read API (/api/v1/public/…, no account): anonymous callers get 404 for an inactive
county, another county's object, and anything not public, whatever the method."""

from . import PublicURL


def _fresh(*division_codes) -> None:
    """The public API is throttled per address and every test client is 127.0.0.1, and it keeps
    a division code's county in the cache for a minute (tests recreate counties under the same
    codes): start each check from an empty counter and without those entries."""
    from django.core.cache import cache

    from domains.api.public import county_cache_key, throttle_key

    cache.delete_many(
        [throttle_key("127.0.0.1"), *(county_cache_key(code) for code in division_codes)]
    )


def _inactive_county(w):
    from tests.factories import TenantFactory

    county = TenantFactory(parent=w.city, is_active=False)
    _fresh(county.division_code)
    return county, {"division_code": county.division_code}


def _hidden_record(w):
    from tests.factories import TrustRecordFactory

    _fresh(w.county_a.division_code)
    record = TrustRecordFactory(agency=w.a1, is_public=False)
    return record, {"division_code": w.county_a.division_code, "public_id": record.public_id}


def _draft_notice(w):
    from .domains_public import _notice

    _fresh(w.county_a.division_code)
    notice = _notice(w.a1)
    return notice, {"division_code": w.county_a.division_code, "public_id": notice.public_id}


def _other_countys_publication(w):
    from .scoring_public import make_publication

    _fresh(w.county_a.division_code)
    publication = make_publication(w.county_b)
    return publication, {"division_code": w.county_a.division_code, "pk": publication.pk}


def _other_countys_agency(w):
    _fresh(w.county_a.division_code)
    return w.b1, {"division_code": w.county_a.division_code, "pk": w.b1.pk}


NON_OBJECT_URLS = {"v1:public-county-list"}

PUBLIC_OBJECT_URLS: dict[str, PublicURL] = {
    "v1:public-record-list": PublicURL(_inactive_county),
    "v1:public-record-detail": PublicURL(_hidden_record),
    "v1:public-notice-list": PublicURL(_inactive_county),
    "v1:public-notice-detail": PublicURL(_draft_notice),
    "v1:public-commitment-list": PublicURL(_inactive_county),
    "v1:public-ranking-list": PublicURL(_inactive_county),
    "v1:public-ranking-detail": PublicURL(_other_countys_publication),
    "v1:public-agency-detail": PublicURL(_other_countys_agency),
}
