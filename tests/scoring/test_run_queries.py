"""The query count of a score run does not depend on the number of agencies, for a rerun too
(the nightly job reruns: its earlier results are replaced set-based, tombstones included). This
is what benchmark B1 relies on at province scale."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import AgencyKind, RankingGroup
from integrity.models import Tombstone
from scoring import services
from scoring.models import AgencyScore, IndicatorScore
from tests.factories import AgencyFactory, TenantFactory, TrustRecordFactory
from tests.scoring.helpers import scheme_for

pytestmark = pytest.mark.django_db


def _counted(run_id: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.run_execute(run_id)
    return len(queries)


def _first_and_rerun(agencies: int) -> tuple[int, int, int]:
    tenant = TenantFactory()
    for number in range(agencies):
        agency = AgencyFactory(
            tenant=tenant,
            kind=AgencyKind.TOWNSHIP if number % 3 else AgencyKind.DEPARTMENT,
            ranking_group=RankingGroup.TOWNSHIP if number % 3 else RankingGroup.DEPARTMENT,
        )
        if number % 40 == 0:
            TrustRecordFactory(agency=agency, decision_date=datetime.date(2025, 6, 1))
    scheme = scheme_for(tenant)
    run = services.run_start(scheme=scheme, actor=None)
    first = _counted(run.pk)
    replaced = IndicatorScore.objects.filter(run=run).count()
    rerun = _counted(run.pk)
    assert AgencyScore.objects.filter(run=run).count() == agencies
    return first, rerun, replaced


def test_first_runs_and_reruns_take_the_same_queries_at_10_and_at_50_agencies():
    few = _first_and_rerun(10)
    many = _first_and_rerun(50)
    assert few[0] == many[0]  # first run
    assert few[1] == many[1]  # rerun: the replaced results cost no query per row


def test_a_rerun_leaves_a_tombstone_for_every_result_it_replaced():
    first, rerun, replaced = _first_and_rerun(12)
    indicator_tombstones = Tombstone.objects.filter(resource="scoring.indicatorscore").count()
    agency_tombstones = Tombstone.objects.filter(resource="scoring.agencyscore").count()
    assert indicator_tombstones == replaced
    assert agency_tombstones == 12
    assert not Tombstone.objects.filter(resource__startswith="scoring.", tenant_id=None).exists()
