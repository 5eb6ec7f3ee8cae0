"""The public rankings pages (no login): only published snapshots of the county in the URL."""

from . import PublicURL


def make_run(tenant, *, year=2025, kind="year", number=1, manual=None, actor=None):
    """A computed (unpublished) run of the default scheme for a period. `manual`: {agency:
    points} of the bonus item, to tell the agencies apart."""
    from scoring import services
    from scoring.models import Indicator

    scheme = services.scheme_create(
        tenant=tenant,
        data={"period_kind": kind, "year": year, "period_number": number},
        actor=actor,
    )
    bonus = Indicator.objects.get(scheme=scheme, code="typical_cases")
    for agency, points in (manual or {}).items():
        services.manual_entry_save(
            indicator=bonus, agency=agency, points=points, reason="典型案例", actor=actor
        )
    run = services.run_start(scheme=scheme, actor=actor)
    return services.run_execute(run.pk)


def make_publication(tenant, *, notice="", **kwargs):
    from scoring import services

    return services.run_publish(run=make_run(tenant, **kwargs), notice=notice, actor=None)


def _inactive_county(w):
    from tests.factories import TenantFactory

    county = TenantFactory(parent=w.city, is_active=False)
    return county, {"division_code": county.division_code}


def _other_countys_publication(w):
    publication = make_publication(w.county_b)
    return publication, {"division_code": w.county_a.division_code, "pk": publication.pk}


def _other_countys_agency(w):
    make_publication(w.county_b)
    return w.b1, {"division_code": w.county_a.division_code, "pk": w.b1.pk}


NON_OBJECT_URLS: set[str] = set()

PUBLIC_OBJECT_URLS: dict[str, PublicURL] = {
    "public-scoring:rankings": PublicURL(_inactive_county),
    "public-scoring:notices": PublicURL(_inactive_county),
    "public-scoring:ranking-detail": PublicURL(_other_countys_publication),
    "public-scoring:agency-profile": PublicURL(_other_countys_agency),
}
