"""Writes of supervision scoring. Each service is atomic, validates, and runs inside the
caller's audit context (request, task or command)."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import RankingGroup
from accounts.selectors import agency_users, office_users
from accounts.services import notify
from integrity.services import apply_changes

from . import engine, page_cache
from .calculators import CALCULATORS
from .choices import (
    CategoryKind,
    Method,
    ObjectionStatus,
    PeriodKind,
    PublicationStatus,
    RunStatus,
    SchemeStatus,
)
from .defaults import DEFAULT_GRADES, DEFAULT_SCHEME, as_decimal
from .models import (
    AgencyScore,
    Indicator,
    IndicatorScore,
    ManualEntry,
    Publication,
    Scheme,
    ScoreObjection,
    ScoreRun,
)

PUBLIC_CACHE_VERSION = "scoring:public-version:{tenant}"


def period_bounds(kind: str, year: int, number: int = 1) -> tuple[date, date]:
    if kind == PeriodKind.YEAR:
        return date(year, 1, 1), date(year, 12, 31)
    if kind == PeriodKind.HALF:
        return (
            (date(year, 1, 1), date(year, 6, 30))
            if number == 1
            else (date(year, 7, 1), date(year, 12, 31))
        )
    first_month = 3 * (number - 1) + 1
    start = date(year, first_month, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, first_month + 3, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def period_label(kind: str, year: int, number: int = 1) -> str:
    if kind == PeriodKind.YEAR:
        return _("%(year)d") % {"year": year}
    if kind == PeriodKind.HALF:
        return (_("%(year)d first half") if number == 1 else _("%(year)d second half")) % {
            "year": year
        }
    return _("%(year)d Q%(n)d") % {"year": year, "n": number}


def _dirty(scheme: Scheme) -> None:
    """Any change to the indicators makes the scheme a draft until it is validated again."""
    if scheme.status != SchemeStatus.DRAFT:
        scheme.status = SchemeStatus.DRAFT
        scheme.save(update_fields=["status", "updated_at"])


def _check_period_free(scheme: Scheme) -> None:
    taken = Scheme.objects.filter(
        tenant_id=scheme.tenant_id,
        period_kind=scheme.period_kind,
        year=scheme.year,
        period_number=scheme.period_number,
    ).exclude(pk=scheme.pk)
    if taken.exists():
        raise ValidationError({"year": _("This jurisdiction already has a scheme for the period.")})


def _prepare_scheme(scheme: Scheme, data: dict) -> list[str]:
    changed = apply_changes(
        scheme, data, ("name", "period_kind", "year", "period_number", "grades")
    )
    if scheme.period_kind == PeriodKind.YEAR:
        scheme.period_number = 1
    if isinstance(scheme.grades, list) and all(
        isinstance(g, dict) and "min" in g for g in scheme.grades
    ):
        # Stored from the highest, as shown; a bad minimum is left for scheme_problems to report.
        with contextlib.suppress(InvalidOperation):
            scheme.grades = sorted(
                scheme.grades, key=lambda g: Decimal(str(g["min"])), reverse=True
            )
    scheme.start, scheme.end = period_bounds(scheme.period_kind, scheme.year, scheme.period_number)
    if not scheme.name:
        scheme.name = _("Government integrity supervision %(period)s") % {
            "period": period_label(scheme.period_kind, scheme.year, scheme.period_number)
        }
    scheme.full_clean(validate_constraints=False)
    _check_period_free(scheme)
    return changed


@transaction.atomic
def scheme_create(*, tenant, data: dict, actor, copy_from: Scheme | None = None) -> Scheme:
    """A new scheme for a period: a copy of another scheme's indicators (e.g. the last period's)
    or, without one, the default scheme."""
    scheme = Scheme(tenant=tenant, created_by=actor, copied_from=copy_from)
    scheme.grades = list(copy_from.grades) if copy_from else list(DEFAULT_GRADES)
    _prepare_scheme(scheme, {k: v for k, v in data.items() if v not in (None, "")})
    scheme.save()
    if copy_from is not None:
        if copy_from.tenant_id != tenant.pk:
            raise ValidationError(_("The scheme to copy belongs to another jurisdiction."))
        mapping = {}
        for source in sorted(
            copy_from.indicators.all(), key=lambda i: (i.parent_id is not None, i.pk)
        ):
            parent = mapping.get(source.parent_id)
            mapping[source.pk] = Indicator.objects.create(
                tenant=tenant,
                scheme=scheme,
                parent=parent,
                code=source.code,
                name=source.name,
                description=source.description,
                category_kind=source.category_kind,
                max_points=source.max_points,
                method=source.method,
                calculator=source.calculator,
                params=source.params,
                position=source.position,
            )
    else:
        for position, (code, name, kind, cap, items) in enumerate(DEFAULT_SCHEME):
            category = Indicator.objects.create(
                tenant=tenant,
                scheme=scheme,
                code=code,
                name=name,
                category_kind=kind,
                max_points=as_decimal(cap),
                position=position,
            )
            for item_position, (i_code, i_name, method, calc, pts, params) in enumerate(items):
                Indicator.objects.create(
                    tenant=tenant,
                    scheme=scheme,
                    parent=category,
                    code=i_code,
                    name=i_name,
                    method=method,
                    calculator=calc,
                    max_points=as_decimal(pts),
                    params=params,
                    position=item_position,
                )
    return scheme


@transaction.atomic
def scheme_update(*, scheme: Scheme, data: dict, actor) -> Scheme:
    if scheme.runs.filter(publication__isnull=False).exists() and (
        {"period_kind", "year", "period_number"}
        & {k for k in data if data[k] != getattr(scheme, k)}
    ):
        raise ValidationError(_("A scheme with a published run keeps its period."))
    changed = _prepare_scheme(scheme, data)
    if changed:
        scheme.status = SchemeStatus.DRAFT
        scheme.save()
    return scheme


INDICATOR_FIELDS = (
    "code",
    "name",
    "description",
    "category_kind",
    "max_points",
    "method",
    "calculator",
    "params",
    "position",
)


@transaction.atomic
def indicator_save(*, scheme: Scheme, data: dict, actor, indicator: Indicator | None = None):
    created = indicator is None
    if created:
        indicator = Indicator(tenant_id=scheme.tenant_id, scheme=scheme, parent=data.get("parent"))
    parent = indicator.parent
    if parent is not None and (parent.scheme_id != scheme.pk or parent.parent_id is not None):
        raise ValidationError({"parent": _("Choose a category of this scheme.")})
    changed = apply_changes(indicator, data, INDICATOR_FIELDS)
    if parent is None:
        indicator.method, indicator.calculator, indicator.params = "", "", {}
        if not indicator.category_kind:
            raise ValidationError({"category_kind": _("Choose the kind of category.")})
    else:
        indicator.category_kind = ""
        if indicator.method == Method.COMPUTED:
            if indicator.calculator not in CALCULATORS:
                raise ValidationError({"calculator": _("Choose a calculator.")})
        elif indicator.method == Method.MANUAL:
            indicator.calculator = ""
        else:
            raise ValidationError({"method": _("Choose how the indicator is scored.")})
    indicator.full_clean(validate_constraints=False)
    if (
        Indicator.objects.filter(scheme=scheme, code=indicator.code)
        .exclude(pk=indicator.pk)
        .exists()
    ):
        raise ValidationError({"code": _("Another indicator of the scheme has this code.")})
    if created or changed:
        indicator.save()
        _dirty(scheme)
    return indicator


@transaction.atomic
def indicator_delete(*, indicator: Indicator, actor) -> None:
    if (
        IndicatorScore.objects.filter(indicator=indicator).exists()
        or IndicatorScore.objects.filter(indicator__parent=indicator).exists()
    ):
        raise ValidationError(_("An indicator that runs have scored cannot be deleted."))
    scheme = indicator.scheme
    indicator.delete()
    _dirty(scheme)


def scheme_problems(scheme: Scheme) -> list[str]:
    """What stops a scheme from being used: points that do not add up, caps that make no sense,
    unknown calculators or parameters, grades out of order."""
    problems = []
    indicators = list(scheme.indicators.all())
    categories = [i for i in indicators if i.parent_id is None]
    if not any(c.category_kind == CategoryKind.REGULAR for c in categories):
        problems.append(_("The scheme has no scored category."))
    regular_total = Decimal(0)
    bonus_total = Decimal(0)
    for category in categories:
        items = [i for i in indicators if i.parent_id == category.pk]
        if not items:
            problems.append(_("Category %(name)s has no items.") % {"name": category.name})
            continue
        if category.max_points <= 0:
            problems.append(
                _("Category %(name)s needs points or a cap above 0.") % {"name": category.name}
            )
        item_sum = sum((i.max_points for i in items), Decimal(0))
        if category.category_kind == CategoryKind.REGULAR:
            regular_total += category.max_points
            if item_sum != category.max_points:
                problems.append(
                    _("The items of %(name)s add up to %(sum)s points, not %(max)s.")
                    % {"name": category.name, "sum": item_sum, "max": category.max_points}
                )
        else:
            if category.category_kind == CategoryKind.BONUS:
                bonus_total += category.max_points
            for item in items:
                if item.max_points > category.max_points:
                    problems.append(
                        _("The cap of %(item)s is above the cap of %(name)s.")
                        % {"item": item.name, "name": category.name}
                    )
        for item in items:
            if item.max_points <= 0:
                problems.append(_("%(item)s needs points above 0.") % {"item": item.name})
            if item.method == Method.COMPUTED:
                calculator = CALCULATORS.get(item.calculator)
                if calculator is None:
                    problems.append(_("%(item)s has no known calculator.") % {"item": item.name})
                    continue
                if calculator.deduction != (category.category_kind == CategoryKind.DEDUCTION):
                    problems.append(
                        _("%(item)s: this calculator belongs in a deduction category only.")
                        % {"item": item.name}
                        if calculator.deduction
                        else _("%(item)s: this calculator cannot deduct points.")
                        % {"item": item.name}
                    )
                for key, value in (item.params or {}).items():
                    if key not in calculator.params:
                        problems.append(
                            _("%(item)s: unknown parameter %(key)s.")
                            % {"item": item.name, "key": key}
                        )
                        continue
                    try:
                        if Decimal(str(value)) < 0:
                            raise InvalidOperation
                    except InvalidOperation:
                        problems.append(
                            _("%(item)s: parameter %(key)s must be a number of at least 0.")
                            % {"item": item.name, "key": key}
                        )
    grades = scheme.grades or []
    minimums = []
    for grade in grades:
        try:
            minimums.append(Decimal(str(grade["min"])))
            if not str(grade["label"]).strip():
                raise KeyError
        except (KeyError, TypeError, InvalidOperation):
            problems.append(_("Every grade needs a label and a minimum."))
            break
    else:
        if not grades:
            problems.append(_("Define at least one grade."))
        elif len({g["label"] for g in grades}) != len(grades) or len(set(minimums)) != len(
            minimums
        ):
            problems.append(_("Grades must have different labels and minimums."))
        elif any(m < 0 or m > regular_total + bonus_total for m in minimums):
            problems.append(
                _("Grade minimums must lie between 0 and %(max)s.")
                % {"max": regular_total + bonus_total}
            )
    return problems


@transaction.atomic
def scheme_validate(*, scheme: Scheme, actor) -> list[str]:
    problems = scheme_problems(scheme)
    status = SchemeStatus.DRAFT if problems else SchemeStatus.READY
    if scheme.status != status:
        scheme.status = status
        scheme.save(update_fields=["status", "updated_at"])
    return problems


@transaction.atomic
def manual_entry_save(*, indicator: Indicator, agency, points, reason: str, actor) -> ManualEntry:
    """Points of a manual item for an agency, with the reason (required, audited)."""
    if indicator.parent_id is None or indicator.method != Method.MANUAL:
        raise ValidationError(_("Only a manual item takes entered points."))
    if agency.tenant_id != indicator.tenant_id:
        raise ValidationError({"agency": _("The agency belongs to another jurisdiction.")})
    try:
        points = Decimal(str(points)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError({"points": _("Enter a number.")}) from None
    if not Decimal(0) <= points <= indicator.max_points:
        raise ValidationError(
            {"points": _("Enter points from 0 to %(max)s.") % {"max": indicator.max_points}}
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the points.")})
    entry = ManualEntry.objects.filter(indicator=indicator, agency=agency).first() or ManualEntry(
        tenant_id=indicator.tenant_id, indicator=indicator, agency=agency
    )
    entry.points, entry.reason, entry.entered_by = points, reason.strip(), actor
    entry.save()
    return entry


@transaction.atomic
def manual_entry_delete(*, entry: ManualEntry, actor) -> None:
    """Remove an agency's entered points: the item falls back to its documented default."""
    entry.delete()


@transaction.atomic
def run_create(*, scheme: Scheme, actor) -> ScoreRun:
    """A queued run of a scheme that has no problems (the scheme is marked validated)."""
    problems = scheme_problems(scheme)
    if problems:
        raise ValidationError(problems)
    if scheme.status != SchemeStatus.READY:
        scheme.status = SchemeStatus.READY
        scheme.save(update_fields=["status", "updated_at"])
    return ScoreRun.objects.create(tenant_id=scheme.tenant_id, scheme=scheme, started_by=actor)


@transaction.atomic
def run_start(*, scheme: Scheme, actor) -> ScoreRun:
    """Queue a run of a validated scheme; the Celery job computes it after the commit."""
    from .tasks import compute_run

    run = run_create(scheme=scheme, actor=actor)
    transaction.on_commit(lambda: compute_run.delay(run.pk))
    return run


@transaction.atomic
def run_rerun(*, run: ScoreRun, actor) -> ScoreRun:
    """Compute a run again (after manual entries changed): its results are replaced."""
    from .tasks import compute_run

    run = ScoreRun.objects.select_for_update().get(pk=run.pk)
    if hasattr(run, "publication"):
        raise ValidationError(_("A published run is frozen: start a new run instead."))
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise ValidationError(_("The run is still being computed."))
    run.status = RunStatus.QUEUED
    run.save(update_fields=["status"])
    transaction.on_commit(lambda: compute_run.delay(run.pk))
    return run


def scheduled_runs(*, today: date | None = None) -> list[ScoreRun]:
    """The nightly job: every validated scheme whose period is in progress or ended in the last
    7 days is recomputed, so the office starts the day with fresh figures. The latest unpublished
    finished run of the scheme is rerun (its results replaced); a scheme without one gets a new
    run; a scheme whose run is queued or running, or whose period has a publication, is left
    alone. Returns the runs queued."""
    from datetime import timedelta

    from .tasks import compute_run

    today = today or timezone.localdate()
    queued = []
    schemes = Scheme.objects.filter(
        status=SchemeStatus.READY, start__lte=today, end__gte=today - timedelta(days=7)
    ).select_related("tenant")
    for scheme in schemes:
        runs = ScoreRun.objects.filter(scheme=scheme)
        if runs.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING)).exists():
            continue
        if Publication.objects.filter(run__scheme=scheme).exists():
            continue
        if scheme_problems(scheme):
            continue
        with transaction.atomic():
            run = (
                runs.filter(status__in=(RunStatus.SUCCEEDED, RunStatus.FAILED))
                .order_by("-created_at", "-id")
                .first()
            )
            if run is None:
                run = run_create(scheme=scheme, actor=None)
            else:
                ScoreRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)
            transaction.on_commit(lambda pk=run.pk: compute_run.delay(pk))
        queued.append(run)
    return queued


def run_execute(run_id: int) -> ScoreRun:
    """The job's body: compute, or record the failure (the results stay as they were)."""
    run = ScoreRun.objects.select_related("scheme__tenant").get(pk=run_id)
    ScoreRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, error="")
    try:
        engine.compute(run)
    except Exception as exc:
        ScoreRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    run.refresh_from_db()
    return run


def _snapshot(run: ScoreRun) -> dict:
    scheme = run.scheme
    categories = list(scheme.indicators.filter(parent__isnull=True).order_by("position", "id"))
    subtotals = {
        (row.agency_id, row.indicator_id): row.points
        for row in IndicatorScore.objects.filter(run=run, indicator__parent__isnull=True)
    }
    previous = (
        Publication.objects.filter(
            tenant_id=run.tenant_id,
            status=PublicationStatus.PUBLISHED,
            period_end__lt=scheme.start,
        )
        .order_by("-period_end")
        .first()
    )
    previous_rows = {}
    if previous is not None:
        for group in previous.snapshot["groups"]:
            for row in group["rows"]:
                previous_rows[row["agency_id"]] = row
    labels = dict(RankingGroup.choices)
    groups = {}
    for score in (
        AgencyScore.objects.filter(run=run)
        .select_related("agency")
        .order_by("ranking_group", "rank", "agency__name")
    ):
        before = previous_rows.get(score.agency_id)
        groups.setdefault(score.ranking_group, []).append(
            {
                "agency_id": score.agency_id,
                "agency": score.agency.name,
                "total": str(score.total),
                "rank": score.rank,
                "grade": score.grade,
                "categories": {
                    c.code: str(subtotals.get((score.agency_id, c.pk), Decimal(0)))
                    for c in categories
                },
                "previous_total": before["total"] if before else None,
                "previous_rank": before["rank"] if before else None,
            }
        )
    return {
        "scheme": scheme.name,
        "start": scheme.start.isoformat(),
        "end": scheme.end.isoformat(),
        "categories": [
            {"code": c.code, "name": c.name, "kind": c.category_kind, "max": str(c.max_points)}
            for c in categories
        ],
        "grades": scheme.grades,
        "groups": [
            {"group": group, "label": str(labels.get(group, group)), "rows": rows}
            for group, rows in groups.items()
        ],
        "previous_publication": previous.pk if previous else None,
    }


def bump_public_cache(tenant_id: int) -> None:
    """Public pages cache per tenant under a version number; publishing or withdrawing moves it."""
    key = PUBLIC_CACHE_VERSION.format(tenant=tenant_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, None)
    page_cache.forget(tenant_id)  # this worker at once; the others at their next recheck


@transaction.atomic
def run_publish(*, run: ScoreRun, notice: str, actor) -> Publication:
    """Freeze the run into an immutable publication the public reads."""
    run = ScoreRun.objects.select_for_update().select_related("scheme").get(pk=run.pk)
    if run.status != RunStatus.SUCCEEDED:
        raise ValidationError(_("Only a finished run can be published."))
    if Publication.objects.filter(run=run).exists():
        raise ValidationError(_("This run is already published."))
    scheme = run.scheme
    if Publication.objects.filter(
        tenant_id=run.tenant_id,
        run__scheme=scheme,
        status=PublicationStatus.PUBLISHED,
    ).exists():
        raise ValidationError(_("A run of this period is already published: withdraw it first."))
    publication = Publication.objects.create(
        tenant_id=run.tenant_id,
        run=run,
        title=scheme.name,
        period_label=period_label(scheme.period_kind, scheme.year, scheme.period_number),
        period_end=scheme.end,
        snapshot=_snapshot(run),
        notice=(notice or "").strip(),
        published_by=actor,
    )
    transaction.on_commit(lambda: bump_public_cache(run.tenant_id))
    _push(publication, "ranking.published")
    return publication


@transaction.atomic
def publication_withdraw(*, publication: Publication, reason: str, actor) -> Publication:
    if publication.status != PublicationStatus.PUBLISHED:
        raise ValidationError(_("The publication is already withdrawn."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the public reason for the withdrawal.")})
    publication.status = PublicationStatus.WITHDRAWN
    publication.withdrawn_at = timezone.now()
    publication.withdrawal_reason = reason.strip()
    publication.save(update_fields=["status", "withdrawn_at", "withdrawal_reason"])
    transaction.on_commit(lambda: bump_public_cache(publication.tenant_id))
    _push(publication, "ranking.withdrawn")
    return publication


def _push(publication: Publication, event: str) -> None:
    """The event for the tenant's webhook endpoints (the city platform's receiver…): the
    publication as the public reads it, with the ranking snapshot when it is published."""
    from webhooks.services import emit

    tenant = publication.tenant
    data = {
        "publication": publication.pk,
        "title": publication.title,
        "period_label": publication.period_label,
        "period_end": publication.period_end,
        "status": publication.status,
        "published_at": publication.published_at,
        "notice": publication.notice,
        "url": settings.SITE_URL
        + reverse("public-scoring:ranking-detail", args=[tenant.division_code, publication.pk]),
    }
    if event == "ranking.withdrawn":
        data["withdrawn_at"] = publication.withdrawn_at
        data["withdrawal_reason"] = publication.withdrawal_reason
    else:
        data["snapshot"] = publication.snapshot
    emit(tenant=tenant, event=event, payload=data)


# Objections of agencies to their published scores --------------------------------------------


def _ranked_in(publication: Publication, agency_id: int) -> bool:
    return any(
        row["agency_id"] == agency_id
        for group in publication.snapshot.get("groups", [])
        for row in group["rows"]
    )


@transaction.atomic
def objection_raise(
    *, publication: Publication, agency, indicator: Indicator | None, reason: str, actor
) -> ScoreObjection:
    """An agency objects (评分异议) to its score in a publication: to the whole score
    (`indicator` None) or to one item of the publication's scheme, with the reason. Only a
    published (not withdrawn) publication that ranks the agency, and one pending objection per
    publication and agency at a time. The county office's users are notified."""
    # The lock serialises two objections raised at once (the constraint is the last word).
    publication = (
        Publication.objects.select_for_update().select_related("run").get(pk=publication.pk)
    )
    if publication.status != PublicationStatus.PUBLISHED:
        raise ValidationError(_("Only a published ranking can be objected to."))
    if agency.tenant_id != publication.tenant_id or not _ranked_in(publication, agency.pk):
        raise ValidationError(_("The agency is not ranked in this publication."))
    if indicator is not None and (
        indicator.scheme_id != publication.run.scheme_id or indicator.parent_id is None
    ):
        raise ValidationError({"indicator": _("Choose an item of this ranking's scheme.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the objection.")})
    if ScoreObjection.objects.filter(
        publication=publication, agency=agency, status=ObjectionStatus.PENDING
    ).exists():
        raise ValidationError(
            _("Your objection to this score is still pending: wait for the office's answer.")
        )
    objection = ScoreObjection.objects.create(
        tenant_id=publication.tenant_id,
        publication=publication,
        agency=agency,
        indicator=indicator,
        reason=reason,
        created_by=actor,
    )
    notify(
        office_users(publication.tenant_id),
        title=_("Objection to a score: %(agency)s") % {"agency": agency.name},
        body=_("%(title)s, %(item)s: %(reason)s")
        % {
            "title": publication.title,
            "item": indicator.name if indicator else _("the whole score"),
            "reason": reason,
        },
        url=reverse("scoring:objection-list"),
    )
    return objection


@transaction.atomic
def objection_decide(
    *, objection: ScoreObjection, upheld: bool, answer: str, actor
) -> ScoreObjection:
    """The office answers a pending objection: upheld or rejected, with the answer the agency
    reads (required). Upheld means the office will correct the score; this records the decision
    only and changes no score: the answer says how the correction is made, normally a manual
    entry with its reason (or a fix of the inputs), a new run of the period, withdrawal of the
    publication with a public reason and publication of the corrected run. The agency's users
    are notified."""
    objection = (
        ScoreObjection.objects.select_for_update()
        .select_related("publication", "agency")
        .get(pk=objection.pk)
    )
    if objection.status != ObjectionStatus.PENDING:
        raise ValidationError(_("This objection has already been decided."))
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Give the answer the agency will read.")})
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
    objection.answer = answer
    objection.decided_by = actor
    objection.decided_at = timezone.now()
    objection.save(update_fields=["status", "answer", "decided_by", "decided_at"])
    publication = objection.publication
    notify(
        agency_users([objection.agency_id]),
        title=(
            _("Your objection to %(title)s is upheld")
            if upheld
            else _("Your objection to %(title)s is rejected")
        )
        % {"title": publication.title},
        body=answer,
        url=(
            reverse("scoring:my-score-detail", args=[publication.pk])
            if publication.status == PublicationStatus.PUBLISHED
            else reverse("scoring:my-scores")
        ),
    )
    return objection
