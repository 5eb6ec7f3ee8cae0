"""Scoring, the office's side (schemes, indicators, manual entries, runs, publications) and the
agencies' own published scores. The builders are used by tests/scoring/ too."""

from . import ObjectURL


def make_scheme(tenant, *, actor=None, copy_from=None, **data):
    """A scheme of the default shape (or a copy) for the first free year of the tenant."""
    from django.db.models import Max

    from scoring import services
    from scoring.models import Scheme

    if "year" not in data:
        latest = Scheme.objects.filter(tenant=tenant).aggregate(Max("year"))["year__max"]
        data["year"] = (latest or 2024) + 1
    data.setdefault("period_kind", "year")
    return services.scheme_create(tenant=tenant, data=data, actor=actor, copy_from=copy_from)


def make_run(tenant, *, scheme=None, actor=None):
    """A finished run (computed in-process, as the Celery task would)."""
    from scoring import services

    scheme = scheme or make_scheme(tenant)
    run = services.run_start(scheme=scheme, actor=actor)
    return services.run_execute(run.pk)


def make_publication(tenant, *, run=None, actor=None, notice=""):
    from scoring import services

    run = run or make_run(tenant)
    return services.run_publish(run=run, notice=notice, actor=actor)


def _county(attr):
    return lambda w: getattr(w, attr)


def _scheme(attr):
    return lambda w: make_scheme(getattr(w, attr))


def _item(attr, code="report_on_time"):
    return lambda w: make_scheme(getattr(w, attr)).indicators.get(code=code)


def _run(attr):
    return lambda w: make_run(getattr(w, attr))


def _score(county_attr, agency_attr):
    def build(w):
        from scoring.models import AgencyScore

        run = make_run(getattr(w, county_attr))
        return AgencyScore.objects.get(run=run, agency=getattr(w, agency_attr))

    return build


def _publication(attr):
    return lambda w: make_publication(getattr(w, attr))


STAFF = "office_staff_a"

OBJECT_URLS: dict[str, ObjectURL] = {
    "scoring:scheme-detail": ObjectURL(
        _scheme("county_b"), None, _scheme("county_c"), actor=STAFF, own=_scheme("county_a")
    ),
    "scoring:scheme-edit": ObjectURL(_scheme("county_b"), actor=STAFF, own=_scheme("county_a")),
    "scoring:scheme-validate": ObjectURL(_scheme("county_b"), actor=STAFF, own=_scheme("county_a")),
    "scoring:indicator-create": ObjectURL(
        _scheme("county_b"), actor=STAFF, own=_scheme("county_a")
    ),
    "scoring:indicator-edit": ObjectURL(_item("county_b"), actor=STAFF, own=_item("county_a")),
    "scoring:indicator-delete": ObjectURL(_item("county_b"), actor=STAFF, own=_item("county_a")),
    "scoring:manual-entries": ObjectURL(
        _item("county_b", "no_breach"), actor=STAFF, own=_item("county_a", "no_breach")
    ),
    "scoring:run-start": ObjectURL(_scheme("county_b"), actor=STAFF, own=_scheme("county_a")),
    "scoring:run-detail": ObjectURL(
        _run("county_b"), None, _run("county_c"), actor=STAFF, own=_run("county_a")
    ),
    "scoring:run-status": ObjectURL(
        _run("county_b"), None, _run("county_c"), actor=STAFF, own=_run("county_a")
    ),
    "scoring:run-export": ObjectURL(
        _run("county_b"), None, _run("county_c"), actor=STAFF, own=_run("county_a")
    ),
    "scoring:run-print": ObjectURL(
        _run("county_b"), None, _run("county_c"), actor=STAFF, own=_run("county_a")
    ),
    "scoring:run-agency": ObjectURL(
        _score("county_b", "b1"),
        None,
        _score("county_c", "c1"),
        actor=STAFF,
        own=_score("county_a", "a1"),
    ),
    "scoring:run-rerun": ObjectURL(_run("county_b"), actor=STAFF, own=_run("county_a")),
    "scoring:run-publish": ObjectURL(_run("county_b"), own=_run("county_a")),
    "scoring:publication-withdraw": ObjectURL(
        _publication("county_b"), own=_publication("county_a")
    ),
    "scoring:my-score-detail": ObjectURL(
        _publication("county_b"), actor="clerk_a1", own=_publication("county_a")
    ),
}

NON_OBJECT_URLS = {
    "scoring:scheme-list",
    "scoring:scheme-create",
    "scoring:calculator-list",
    "scoring:run-list",
    "scoring:my-scores",
}
