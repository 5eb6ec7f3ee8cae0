"""Scoring: agencies' objections to their published scores and the office's answers. Raising
one is a POST of `scoring:my-score-detail` (declared in scoring_office)."""

from . import ObjectURL
from .scoring_office import make_publication


def make_objection(tenant, agency, *, reason="第三方评价得分与评价报告不符。"):
    """A pending objection of `agency` to the whole score of a new publication of `tenant`."""
    from scoring import services

    publication = make_publication(tenant)
    return services.objection_raise(
        publication=publication, agency=agency, indicator=None, reason=reason, actor=None
    )


def _objection(county_attr, agency_attr):
    return lambda w: make_objection(getattr(w, county_attr), getattr(w, agency_attr))


OBJECT_URLS: dict[str, ObjectURL] = {
    "scoring:objection-decide": ObjectURL(
        _objection("county_b", "b1"), actor="office_staff_a", own=_objection("county_a", "a1")
    ),
}

NON_OBJECT_URLS = {"scoring:objection-list"}
