"""API endpoints of supervision scoring (/api/v1/…), read-only. Schemes, runs and scores are the
office's working rows (agency roles are refused outright); publications are read by the
county's agencies too, so they have no other-agency case."""

from . import ObjectURL
from .scoring_public import make_publication, make_run


def scheme(tenant):
    from scoring import services

    return services.scheme_create(
        tenant=tenant, data={"period_kind": "year", "year": 2025}, actor=None
    )


def run(tenant):
    return make_run(tenant)


def agency_score(tenant):
    return make_run(tenant).scores.order_by("id").first()


def indicator_score(tenant):
    return make_run(tenant).indicator_scores.order_by("id").first()


def publication(tenant):
    return make_publication(tenant)


def _office_rows(build):
    """County B's row for county A's office, county A's own row for clerk a1 (refused by the
    permission matrix: 403), county C's row for the city viewer of county A's city."""
    return ObjectURL(
        lambda w: build(w.county_b),
        other_agency=lambda w: build(w.county_a),
        other_city=lambda w: build(w.county_c),
        own=lambda w: build(w.county_a),
    )


OBJECT_URLS = {
    "v1:scheme-detail": _office_rows(scheme),
    "v1:score-run-detail": _office_rows(run),
    "v1:agency-score-detail": _office_rows(agency_score),
    "v1:indicator-score-detail": _office_rows(indicator_score),
    "v1:publication-detail": ObjectURL(
        lambda w: publication(w.county_b),
        other_city=lambda w: publication(w.county_c),
        own=lambda w: publication(w.county_a),
    ),
}

NON_OBJECT_URLS = {
    "v1:scheme-list",
    "v1:score-run-list",
    "v1:agency-score-list",
    "v1:indicator-score-list",
    "v1:publication-list",
}
