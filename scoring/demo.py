"""Demo data for supervision scoring (called by `manage.py seed_demo` after the domains,
supervision and rectification demos, whose records, items and campaigns are the inputs).

丰宁 gets two published periods, so the public trend chart and the change against the previous
period have data: last year (the default scheme: last year's closed campaign is scored) and this
year's first half (a copy of last year's scheme: this year's records, court cases, judgments,
listings and NPC/CPPCC replies are scored). The office enters a few manual items with reasons
(typical integrity cases as bonus points, confirmed contract breaches), which together with the
inputs spread the totals and grades.

Runs are computed synchronously. `services.run_start` queues its Celery task on commit, and
seed_demo runs in one transaction: the task would only start after the command, and compute a
run the demo has already published. So the demo validates the scheme with
`services.scheme_validate`, creates the run with `services.run_create` (what `run_start` does
before queueing), and calls
`services.run_execute` (the task's body) directly, then `services.run_publish`.

Idempotent: schemes are looked up by period; a period that already has a publication (even a
withdrawn one) is left as it is.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Agency, User

from . import services
from .choices import PeriodKind
from .models import Publication, Scheme

NOTICE = (
    "根据《丰宁满族自治县政务诚信督导评分办法》，县社会信用体系建设领导小组办公室对全县各乡镇"
    "（街道、开发区）和县直部门{period}政务诚信建设情况进行了督导评分，现将评分和排名情况予以"
    "通报。得分排名靠后的单位要对照扣分事项逐项整改，整改情况纳入下一期督导评分。"
)

# Manual items per period: (agency, indicator code, points, reason).
LAST_YEAR_ENTRIES = [
    (
        "县财政局",
        "typical_cases",
        "3",
        "清理拖欠中小企业账款工作成效明显，入选市级政务诚信建设典型案例。",
    ),
    ("大阁镇", "typical_cases", "2", "“诚信大阁”建设经验在全县推广。"),
    (
        "县政务服务管理办",
        "typical_cases",
        "4",
        "政务服务“好差评”满意率全市第一，获评省级诚信建设典型。",
    ),
    (
        "县商务局",
        "no_breach",
        "2",
        "前任班子签订的厂房租金减免协议未按约履行，经核实属合同违约，扣3分。",
    ),
    ("经济开发区管委会", "no_breach", "3", "入园企业税收返还承诺兑现滞后，扣2分。"),
]
FIRST_HALF_ENTRIES = [
    ("县财政局", "typical_cases", "2", "中小企业款项30日内支付承诺全部兑现。"),
    ("凤山镇", "typical_cases", "3", "村级诚信积分制管理入选市级典型案例。"),
    (
        "经济开发区管委会",
        "no_breach",
        "2",
        "招商引资设备补贴承诺未按期兑现，经核实属政策承诺失信，扣3分。",
    ),
]


def seed(fengning) -> None:
    staff = User.objects.get(username="fn-staff")
    office = User.objects.get(username="fn-office")
    agency = {a.name: a for a in Agency.objects.filter(tenant=fengning)}
    year = timezone.localdate().year
    last_year = _period(
        fengning,
        PeriodKind.YEAR,
        year - 1,
        1,
        name=f"{year - 1}年度政务诚信督导评分",
        period=f"{year - 1}年度",
        entries=LAST_YEAR_ENTRIES,
        agency=agency,
        staff=staff,
        office=office,
    )
    _period(
        fengning,
        PeriodKind.HALF,
        year,
        1,
        name=f"{year}年上半年政务诚信督导评分",
        period=f"{year}年上半年",
        entries=FIRST_HALF_ENTRIES,
        agency=agency,
        staff=staff,
        office=office,
        copy_from=last_year,
    )


def _period(
    tenant,
    kind,
    year,
    number,
    *,
    name,
    period,
    entries,
    agency,
    staff,
    office,
    copy_from=None,
) -> Scheme:
    scheme = Scheme.objects.filter(
        tenant=tenant, period_kind=kind, year=year, period_number=number
    ).first()
    if scheme is None:
        scheme = services.scheme_create(
            tenant=tenant,
            data={"name": name, "period_kind": kind, "year": year, "period_number": number},
            actor=staff,
            copy_from=copy_from,
        )
    if Publication.objects.filter(run__scheme=scheme).exists():
        return scheme
    for agency_name, code, points, reason in entries:
        services.manual_entry_save(
            indicator=scheme.indicators.get(code=code),
            agency=agency[agency_name],
            points=points,
            reason=reason,
            actor=staff,
        )
    problems = services.scheme_validate(scheme=scheme, actor=staff)
    if problems:
        raise RuntimeError(f"The demo scheme {scheme} has problems: {problems}")
    # services.run_start without queueing the task: it is computed right here.
    run = services.run_create(scheme=scheme, actor=staff)
    run = services.run_execute(run.pk)
    services.run_publish(run=run, notice=NOTICE.format(period=period), actor=office)
    return scheme
