"""seed_demo's supervision scoring for 丰宁: two published periods (last year, this year's first
half copied from it) with manual items and ranking notices, totals that differ between agencies
and between the periods (the trend chart has data); running it twice changes nothing."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Tenant
from scoring.choices import PeriodKind, PublicationStatus, RunStatus, SchemeStatus
from scoring.models import (
    AgencyScore,
    IndicatorScore,
    ManualEntry,
    Publication,
    Scheme,
    ScoreRun,
)

MODELS = (Scheme, ScoreRun, AgencyScore, IndicatorScore, ManualEntry, Publication)

pytestmark = pytest.mark.django_db


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def totals(publication) -> dict[int, Decimal]:
    return {
        row["agency_id"]: Decimal(row["total"])
        for group in publication.snapshot["groups"]
        for row in group["rows"]
    }


@pytest.fixture
def fengning(db):
    call_command("seed_demo", verbosity=0)
    return Tenant.objects.get(division_code="130826")


def test_seed_twice_leaves_two_publications_with_different_totals(fengning):
    before = counts()
    call_command("seed_demo", verbosity=0)
    assert counts() == before
    year = timezone.localdate().year
    publications = list(Publication.objects.filter(tenant=fengning).order_by("period_end"))
    assert len(publications) == 2
    last_year, first_half = publications
    assert [p.status for p in publications] == [PublicationStatus.PUBLISHED] * 2
    assert (last_year.run.scheme.period_kind, last_year.run.scheme.year) == (
        PeriodKind.YEAR,
        year - 1,
    )
    assert (first_half.run.scheme.period_kind, first_half.run.scheme.year) == (
        PeriodKind.HALF,
        year,
    )
    assert first_half.run.scheme.copied_from_id == last_year.run.scheme_id
    assert first_half.snapshot["previous_publication"] == last_year.pk
    for publication in publications:
        assert "政务诚信" in publication.notice and publication.published_by.username == "fn-office"
        assert publication.run.status == RunStatus.SUCCEEDED
        assert publication.run.scheme.status == SchemeStatus.READY
        assert len(totals(publication)) == 40  # every agency of 丰宁
    # Totals differ between the periods for some agencies: the trend is not flat …
    before_, after = totals(last_year), totals(first_half)
    changed = [pk for pk in after if after[pk] != before_[pk]]
    assert len(changed) >= 3
    rows = [row for group in first_half.snapshot["groups"] for row in group["rows"]]
    assert all(row["previous_total"] == str(before_[row["agency_id"]]) for row in rows)
    # … and between agencies within a period, with more than one grade.
    for publication in publications:
        assert len(set(totals(publication).values())) >= 3
    assert len({row["grade"] for row in rows}) >= 2
    # 隆化 has nothing published.
    assert not Publication.objects.exclude(tenant=fengning).exists()


def test_the_manual_items_carry_their_reasons_and_count(fengning):
    entries = ManualEntry.objects.filter(tenant=fengning).select_related("indicator", "agency")
    assert entries.count() == 8
    assert all(
        entry.reason.strip() and entry.entered_by.username == "fn-staff" for entry in entries
    )
    year = timezone.localdate().year
    bonus = entries.get(
        indicator__code="typical_cases",
        indicator__scheme__year=year - 1,
        agency__name="县财政局",
    )
    row = IndicatorScore.objects.get(
        run__publication__isnull=False,
        run__scheme=bonus.indicator.scheme,
        agency=bonus.agency,
        indicator=bonus.indicator,
    )
    assert row.points == bonus.points == Decimal("3.00")
    assert row.figures == {"entered": True, "reason": bonus.reason}
