"""Writes for key domains, credit records, objections and repair, commitments, notices and the
measure lists. Each service is atomic, validates with full_clean() and runs inside the caller's
audit context (request middleware, command or task)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Agency, Tenant, User
from integrity.attachments import store_upload
from integrity.services import apply_changes, save_changes
from integrity.workdays import add_workdays

from . import defaults, rules
from .choices import (
    OBJECTION_OUTCOMES,
    REPAIR_OUTCOMES,
    CommitmentStatus,
    NoticeStatus,
    RecordSource,
    RecordStatus,
    RequestKind,
    RequestOutcome,
    RequestStatus,
    SubjectType,
)
from .models import (
    CaseNotice,
    Commitment,
    CommitmentAttachment,
    CreditRequest,
    CreditSettings,
    DomainField,
    FourListEntry,
    JointMeasure,
    KeyDomain,
    ProblemType,
    PublicityRule,
    PunishmentMeasure,
    RecordAttachment,
    TrustRecord,
)

# The public side: cache version and publicity events ---------------------------------------

PUBLIC_CACHE_VERSION = "domains:public-version:{tenant}"


def bump_public_cache(tenant_id: int) -> None:
    """The public API caches a county's records, case notices and commitments under a version
    number (`domains.api.public`); every write that may change what the public sees moves it."""
    key = PUBLIC_CACHE_VERSION.format(tenant=tenant_id)
    try:
        cache.incr(key)
    except ValueError:  # missing or evicted: start from a number never used before
        cache.set(key, time.time_ns(), None)


def _public_changed(tenant_id: int) -> None:
    transaction.on_commit(lambda: bump_public_cache(tenant_id))


def _is_public(record: TrustRecord) -> bool:
    from .selectors import public_records

    return public_records().filter(pk=record.pk).exists()


def _publicity_changed(record: TrustRecord, was_public: bool) -> None:
    """After a write to a record: the public cache moves, and when the record's visibility
    actually flipped, `record.published` or `record.unpublished` is emitted to the webhooks with
    the record's public (masked) representation. `emit` stores the deliveries in this
    transaction and sends them after the commit, so a rolled-back write sends nothing."""
    _public_changed(record.tenant_id)
    now_public = _is_public(record)
    if now_public != was_public:
        _emit_publicity(record, published=now_public)


def _emit_publicity(record: TrustRecord, *, published: bool) -> None:
    from webhooks.services import emit

    from .api.public import record_payload

    # The payload carries display labels: always in the site's language, whoever triggers it.
    with translation.override(settings.LANGUAGE_CODE):
        payload = record_payload(record)
    event = "record.published" if published else "record.unpublished"
    emit(tenant=record.tenant, event=event, payload=payload)


# Tenant defaults --------------------------------------------------------------------------


@transaction.atomic
def tenant_defaults_ensure(*, tenant: Tenant) -> None:
    """Create what is missing of the default domains, problem types, rules and settings."""
    for position, (code, name, active, description) in enumerate(defaults.KEY_DOMAINS):
        KeyDomain.objects.get_or_create(
            tenant=tenant,
            code=code,
            defaults={
                "name": name,
                "is_active": active,
                "description": description,
                "position": position,
            },
        )
    for position, (name, description) in enumerate(defaults.PROBLEM_TYPES):
        ProblemType.objects.get_or_create(
            tenant=tenant, name=name, defaults={"description": description, "position": position}
        )
    for severity, published, min_months, max_months in defaults.PUBLICITY_RULES:
        PublicityRule.objects.get_or_create(
            tenant=tenant,
            severity=severity,
            effective_from=defaults.NDRC_36_EFFECTIVE,
            defaults={
                "published_by_default": published,
                "min_months": min_months,
                "max_months": max_months,
                "basis": defaults.PUBLICITY_BASIS,
            },
        )
    CreditSettings.objects.get_or_create(tenant=tenant)


# Configuration ----------------------------------------------------------------------------

DOMAIN_FIELDS = ("code", "name", "description", "is_active", "position")


@transaction.atomic
def domain_save(
    *, tenant: Tenant, data: dict, actor: User, domain: KeyDomain | None = None
) -> KeyDomain:
    created = domain is None
    domain = domain or KeyDomain(tenant=tenant)
    changed = apply_changes(domain, data, DOMAIN_FIELDS)
    save_changes(domain, changed, created=created)
    for field in ("lead_units", "responsible_units"):
        if field in data:
            agencies = list(data[field])
            if any(a.tenant_id != tenant.pk for a in agencies):
                raise ValidationError({field: _("Choose agencies of this jurisdiction.")})
            # A unit deactivated since it was assigned may stay; a new one must be active.
            current = set(getattr(domain, field).values_list("pk", flat=True))
            if any(not a.is_active and a.pk not in current for a in agencies):
                raise ValidationError({field: _("Choose agencies of this jurisdiction.")})
            getattr(domain, field).set(agencies)
    _public_changed(tenant.pk)  # public records show the domain's name
    return domain


FIELD_FIELDS = ("key", "label", "field_type", "choices", "required", "help_text", "position")


@transaction.atomic
def domain_field_save(
    *, domain: KeyDomain, data: dict, actor: User, field: DomainField | None = None
) -> DomainField:
    created = field is None
    field = field or DomainField(tenant_id=domain.tenant_id, domain=domain)
    changed = apply_changes(field, data, FIELD_FIELDS)
    save_changes(field, changed, created=created)
    return field


@transaction.atomic
def domain_field_delete(*, field: DomainField, actor: User) -> None:
    field.delete()


PROBLEM_TYPE_FIELDS = ("name", "description", "is_active", "position")


@transaction.atomic
def problem_type_save(
    *, tenant: Tenant, data: dict, actor: User, problem_type: ProblemType | None = None
) -> ProblemType:
    created = problem_type is None
    problem_type = problem_type or ProblemType(tenant=tenant)
    changed = apply_changes(problem_type, data, PROBLEM_TYPE_FIELDS)
    save_changes(problem_type, changed, created=created)
    return problem_type


RULE_FIELDS = (
    "severity",
    "effective_from",
    "published_by_default",
    "min_months",
    "max_months",
    "basis",
)


@transaction.atomic
def publicity_rule_save(
    *, tenant: Tenant, data: dict, actor: User, rule: PublicityRule | None = None
) -> PublicityRule:
    """A rule change applies to records decided on or after its effective date; records
    already decided keep the window they were given."""
    created = rule is None
    rule = rule or PublicityRule(tenant=tenant)
    changed = apply_changes(rule, data, RULE_FIELDS)
    save_changes(rule, changed, created=created)
    return rule


@transaction.atomic
def credit_settings_save(*, tenant: Tenant, data: dict, actor: User) -> CreditSettings:
    settings_row, _created = CreditSettings.objects.get_or_create(tenant=tenant)
    changed = apply_changes(settings_row, data, ("objection_workdays", "repair_workdays"))
    save_changes(settings_row, changed, created=False)
    return settings_row


# Records ----------------------------------------------------------------------------------

RECORD_FIELDS = (
    "subject_type",
    "agency",
    "subject_name",
    "subject_credit_code",
    "person_id_number",
    "person_position",
    "domain",
    "problem_type",
    "source",
    "severity",
    "facts",
    "decision_number",
    "deciding_authority",
    "decision_date",
    "punishment_end",
)


def publicity_rule_for(*, tenant: Tenant, severity: str, decision_date: date) -> PublicityRule:
    rule = (
        PublicityRule.objects.filter(
            tenant=tenant, severity=severity, effective_from__lte=decision_date
        )
        .order_by("-effective_from")
        .first()
    )
    if rule is None:
        # A decision older than every rule of the tenant: the earliest rule applies.
        rule = (
            PublicityRule.objects.filter(tenant=tenant, severity=severity)
            .order_by("effective_from")
            .first()
        )
    if rule is None:
        raise ValidationError({"severity": _("No publicity rule is configured for this severity.")})
    return rule


def _apply_publicity(record: TrustRecord, *, keep_public: bool | None = None) -> None:
    rule = publicity_rule_for(
        tenant=record.tenant, severity=record.severity, decision_date=record.decision_date
    )
    record.publicity_rule = rule
    record.publicity_min_end, record.publicity_max_end = rules.publicity_window(
        record.decision_date, rule.min_months, rule.max_months
    )
    record.is_public = rule.published_by_default if keep_public is None else keep_public


def _prepare_record(record: TrustRecord, data: dict) -> list[str]:
    data = dict(data)
    subject = data.get("subject_type", record.subject_type)
    agency = data.get("agency", record.agency if record.agency_id else None)
    if subject == SubjectType.AGENCY and agency is not None:
        data["subject_name"] = agency.name
        data.setdefault("subject_credit_code", agency.credit_code)
    elif subject == SubjectType.GOVERNMENT and not data.get("subject_name"):
        data["subject_name"] = f"{record.tenant.name}人民政府"
    if subject not in (SubjectType.AGENCY, SubjectType.CIVIL_SERVANT):
        data["agency"] = data.get("agency") if subject == SubjectType.STATE_ENTERPRISE else None
    for key in ("subject_credit_code", "person_id_number"):
        if data.get(key):
            data[key] = data[key].strip().upper().replace(" ", "")
    return apply_changes(record, data, RECORD_FIELDS)


@transaction.atomic
def record_create(
    *, tenant: Tenant, data: dict, actor: User, is_public: bool | None = None
) -> TrustRecord:
    record = TrustRecord(tenant=tenant, created_by=actor)
    _prepare_record(record, data)
    record.full_clean(exclude=["publicity_rule"])
    _apply_publicity(record, keep_public=is_public)
    record.full_clean()
    record.save()
    _publicity_changed(record, was_public=False)
    return record


@transaction.atomic
def record_update(
    *, record: TrustRecord, data: dict, actor: User, is_public: bool | None = None
) -> TrustRecord:
    """Change a record on file and, when `is_public` is given, publish or unpublish it in the
    same transaction (an API PATCH may carry both)."""
    if record.status != RecordStatus.ACTIVE:
        raise ValidationError(_("Only a record on file can be edited."))
    was_public = _is_public(record)
    changed = _prepare_record(record, data)
    if {"severity", "decision_date"} & set(changed):
        ended_by_date = (
            record.publicity_ended_on is not None
            and record.publicity_ended_on == record.publicity_max_end
            and record.publicity_end_reason == _period_over_reason()
        )
        _apply_publicity(record, keep_public=record.is_public)
        changed += ["publicity_rule", "publicity_min_end", "publicity_max_end", "is_public"]
        if ended_by_date:
            # Publicity ended only because the old window ran out (records_publicity_sweep):
            # the corrected window decides again.
            record.publicity_ended_on = None
            record.publicity_end_reason = ""
            changed += ["publicity_ended_on", "publicity_end_reason"]
    save_changes(record, changed, created=False)
    _publicity_changed(record, was_public)
    if is_public is not None:
        record_set_public(record=record, public=is_public, actor=actor)
    return record


@transaction.atomic
def record_set_public(*, record: TrustRecord, public: bool, actor: User) -> TrustRecord:
    if public and record.status != RecordStatus.ACTIVE:
        raise ValidationError(_("Only a record on file can be published."))
    if record.is_public != public:
        was_public = _is_public(record)
        record.is_public = public
        record.save(update_fields=["is_public", "updated_at"])
        _publicity_changed(record, was_public)
    return record


def _set_status(record: TrustRecord, status: str, reason: str) -> None:
    record.status = status
    record.status_reason = reason
    record.status_changed_at = timezone.now()


@transaction.atomic
def record_revoke(*, record: TrustRecord, reason: str, actor: User) -> TrustRecord:
    if record.status not in (RecordStatus.ACTIVE, RecordStatus.EXPIRED):
        raise ValidationError(_("This record cannot be revoked in its current status."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    was_public = _is_public(record)
    _set_status(record, RecordStatus.REVOKED, reason)
    record.publicity_ended_on = record.publicity_ended_on or timezone.localdate()
    record.publicity_end_reason = record.publicity_end_reason or _("Record revoked")
    record.sharing_stopped_on = record.sharing_stopped_on or timezone.localdate()
    record.sharing_stop_reason = record.sharing_stop_reason or _("Record revoked")
    record.save(
        update_fields=[
            "status",
            "status_reason",
            "status_changed_at",
            "publicity_ended_on",
            "publicity_end_reason",
            "sharing_stopped_on",
            "sharing_stop_reason",
            "updated_at",
        ]
    )
    _publicity_changed(record, was_public)
    return record


@transaction.atomic
def record_end_publicity(*, record: TrustRecord, reason: str, actor: User) -> TrustRecord:
    """终止公示: the record leaves the public side; it stays on file and may still be shared."""
    if record.publicity_ended_on:
        raise ValidationError(_("Publicity of this record has already ended."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    was_public = _is_public(record)
    record.publicity_ended_on = timezone.localdate()
    record.publicity_end_reason = reason
    record.save(update_fields=["publicity_ended_on", "publicity_end_reason", "updated_at"])
    _publicity_changed(record, was_public)
    return record


@transaction.atomic
def record_stop_sharing(*, record: TrustRecord, reason: str, actor: User) -> TrustRecord:
    """停止共享: the record is no longer shared with the city platform."""
    if record.sharing_stopped_on:
        raise ValidationError(_("Sharing of this record has already stopped."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    record.sharing_stopped_on = timezone.localdate()
    record.sharing_stop_reason = reason
    record.save(update_fields=["sharing_stopped_on", "sharing_stop_reason", "updated_at"])
    return record


def _period_over_reason() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Publicity period over")


PUBLICITY_SWEEP_KEY = "domains:publicity-sweep:last"


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


@transaction.atomic
def records_publicity_sweep(*, today: date | None = None) -> tuple[int, int]:
    """Nightly, before records_expire: the publicity changes that happen by date alone, without
    a write, become writes and events here. Returns the events emitted (published, unpublished).

    - A record whose maximum publicity end has come gets `publicity_ended_on` set to that date
      (the public query already hid it at midnight); `record.unpublished` is emitted when it
      was public while on file (entered before that date).
    - A record entered before its decision date becomes public on that date: `record.published`
      is emitted for those whose decision date came since the last sweep (the day before when
      that is unknown), so once.
    """
    from .selectors import public_records

    today = today or timezone.localdate()
    reason = _period_over_reason()
    tenants: set[int] = set()
    unpublished = 0
    due = (
        TrustRecord.objects.select_for_update(of=("self",))
        .select_related("tenant")
        .filter(
            is_public=True,
            status=RecordStatus.ACTIVE,
            publicity_ended_on__isnull=True,
            publicity_max_end__lte=today,
        )
        .order_by("id")
    )
    for record in due:
        record.publicity_ended_on = record.publicity_max_end
        record.publicity_end_reason = reason
        record.save(update_fields=["publicity_ended_on", "publicity_end_reason", "updated_at"])
        tenants.add(record.tenant_id)
        if record.decision_date < record.publicity_max_end and record.created_at < _start_of(
            record.publicity_max_end
        ):
            _emit_publicity(record, published=False)
            unpublished += 1
    last = cache.get(PUBLICITY_SWEEP_KEY)
    since = date.fromisoformat(last) if last else today - timedelta(days=1)
    published = 0
    for record in public_records(today=today).filter(decision_date__gt=since).order_by("id"):
        if record.created_at < _start_of(record.decision_date):
            tenants.add(record.tenant_id)
            _emit_publicity(record, published=True)
            published += 1
    for tenant_id in tenants:
        _public_changed(tenant_id)
    transaction.on_commit(lambda: cache.set(PUBLICITY_SWEEP_KEY, today.isoformat(), None))
    return published, unpublished


def records_expire(*, today: date | None = None) -> int:
    """Nightly: records past their maximum publicity and punishment period become 已届满.
    (The public query checks the dates itself and never relies on this job.)"""
    from django.db.models import Q

    today = today or timezone.localdate()
    due = TrustRecord.objects.filter(
        status=RecordStatus.ACTIVE, publicity_max_end__lte=today
    ).filter(Q(punishment_end__isnull=True) | Q(punishment_end__lte=today))
    return due.update(
        status=RecordStatus.EXPIRED,
        status_changed_at=timezone.now(),
        status_reason=_("Publicity and punishment periods are over."),
        updated_at=timezone.now(),
    )


MEASURE_FIELDS = ("measure_type", "date", "issuing_body", "note")


@transaction.atomic
def measure_add(*, record: TrustRecord, data: dict, actor: User) -> PunishmentMeasure:
    measure = PunishmentMeasure(tenant_id=record.tenant_id, record=record)
    apply_changes(measure, data, MEASURE_FIELDS)
    measure.full_clean()
    if measure.date < record.decision_date:
        raise ValidationError({"date": _("A measure cannot precede the decision.")})
    measure.save()
    return measure


@transaction.atomic
def measure_delete(*, measure: PunishmentMeasure, actor: User) -> None:
    measure.delete()


@transaction.atomic
def attachment_add(*, parent, uploaded, actor: User):
    """Attach an uploaded file to a record or a commitment (checked by type and content)."""
    if isinstance(parent, TrustRecord):
        attachment = RecordAttachment(tenant_id=parent.tenant_id, record=parent)
    else:
        attachment = CommitmentAttachment(tenant_id=parent.tenant_id, commitment=parent)
    return store_upload(attachment, uploaded, actor=actor)


# Objections and repair --------------------------------------------------------------------


def _request_deadline(tenant: Tenant, kind: str, submitted: date) -> date:
    settings_row, _created = CreditSettings.objects.get_or_create(tenant=tenant)
    days = (
        settings_row.objection_workdays
        if kind == RequestKind.OBJECTION
        else settings_row.repair_workdays
    )
    return add_workdays(submitted, days, tenant=tenant)


REQUEST_FIELDS = (
    "applicant_name",
    "applicant_phone",
    "applicant_is_subject",
    "reason",
    "declares_corrected",
    "declares_commitment",
    "declares_other",
)


@transaction.atomic
def request_submit(*, record: TrustRecord, kind: str, data: dict) -> CreditRequest:
    """Filed by anyone from the public page; the record must be public."""
    from .selectors import public_records

    if not public_records().filter(pk=record.pk).exists():
        raise ValidationError(_("This record is not published."))
    today = timezone.localdate()
    if kind == RequestKind.REPAIR:
        if record.publicity_min_end and today < record.publicity_min_end:
            raise ValidationError(
                _(
                    "Credit repair can be applied for from %(date)s, after the minimum publicity "
                    "period."
                )
                % {"date": record.publicity_min_end.isoformat()}
            )
        if not (
            data.get("declares_corrected")
            and data.get("declares_commitment")
            and data.get("declares_other")
        ):
            raise ValidationError(
                _(
                    "Credit repair needs all three conditions: the breach corrected and "
                    "obligations fulfilled, a signed credit commitment, and the other statutory "
                    "conditions."
                )
            )
        if record.requests.filter(kind=RequestKind.REPAIR, status=RequestStatus.PENDING).exists():
            raise ValidationError(_("A repair application for this record is already pending."))
    request = CreditRequest(
        tenant_id=record.tenant_id,
        record=record,
        kind=kind,
        deadline=_request_deadline(record.tenant, kind, today),
    )
    apply_changes(request, data, REQUEST_FIELDS)
    for _attempt in range(5):
        request.receipt_code = rules.new_receipt_code()
        if not CreditRequest.objects.filter(receipt_code=request.receipt_code).exists():
            break
    request.full_clean()
    request.save()
    _public_changed(record.tenant_id)  # the public record shows "under objection"
    return request


@transaction.atomic
def request_decide(
    *,
    request: CreditRequest,
    outcome: str,
    reason: str,
    actor: User,
    corrected_facts: str = "",
    confirmed: dict | None = None,
    stop_sharing: bool = False,
) -> CreditRequest:
    """Decide an objection (corrected / revoked / rejected) or a repair application
    (repaired / rejected); the decision changes the record."""
    if request.status != RequestStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    allowed = OBJECTION_OUTCOMES if request.kind == RequestKind.OBJECTION else REPAIR_OUTCOMES
    if outcome not in allowed:
        raise ValidationError({"outcome": _("This decision does not apply to this request.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reasons for the decision.")})
    record = TrustRecord.objects.select_for_update().get(pk=request.record_id)
    was_public = _is_public(record)
    confirmed = confirmed or {}
    for key in ("confirmed_corrected", "confirmed_commitment", "confirmed_other"):
        setattr(request, key, bool(confirmed.get(key)))
    if outcome == RequestOutcome.CORRECTED:
        if not corrected_facts.strip():
            raise ValidationError({"corrected_facts": _("Enter the corrected facts.")})
        record_update(record=record, data={"facts": corrected_facts}, actor=actor)
    elif outcome == RequestOutcome.REVOKED:
        record_revoke(record=record, reason=reason, actor=actor)
    elif outcome == RequestOutcome.REPAIRED:
        if not (
            request.confirmed_corrected and request.confirmed_commitment and request.confirmed_other
        ):
            raise ValidationError(
                _(
                    "Repair is granted only when staff confirm every condition, including the "
                    "signed credit commitment."
                )
            )
        _set_status(record, RecordStatus.REPAIRED, reason)
        record.publicity_ended_on = timezone.localdate()
        record.publicity_end_reason = _("Credit repaired")
        fields = [
            "status",
            "status_reason",
            "status_changed_at",
            "publicity_ended_on",
            "publicity_end_reason",
            "updated_at",
        ]
        if stop_sharing and not record.sharing_stopped_on:
            record.sharing_stopped_on = timezone.localdate()
            record.sharing_stop_reason = _("Credit repaired")
            fields += ["sharing_stopped_on", "sharing_stop_reason"]
        record.save(update_fields=fields)
        _publicity_changed(record, was_public)
    request.status = RequestStatus.DECIDED
    request.outcome = outcome
    request.decision_reason = reason
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.save()
    # Corrections and revocations went through record_update / record_revoke (their own
    # events); every decision ends the "under objection" flag.
    _public_changed(record.tenant_id)
    return request


# Commitments ------------------------------------------------------------------------------

COMMITMENT_FIELDS = (
    "category",
    "title",
    "content",
    "promised_date",
    "is_public",
    "fulfilment_evidence",
)


@transaction.atomic
def commitment_create(*, agency: Agency, data: dict, actor: User) -> Commitment:
    commitment = Commitment(tenant_id=agency.tenant_id, agency=agency, created_by=actor)
    apply_changes(commitment, data, COMMITMENT_FIELDS)
    commitment.full_clean()
    commitment.save()
    _public_changed(commitment.tenant_id)
    return commitment


@transaction.atomic
def commitment_update(*, commitment: Commitment, data: dict, actor: User) -> Commitment:
    if commitment.status != CommitmentStatus.IN_PROGRESS:
        raise ValidationError(_("A commitment can be edited only while it is in progress."))
    changed = apply_changes(commitment, data, COMMITMENT_FIELDS)
    save_changes(commitment, changed, created=False)
    _public_changed(commitment.tenant_id)
    return commitment


@transaction.atomic
def commitment_set_status(
    *, commitment: Commitment, status: str, note: str, actor: User
) -> Commitment:
    """The office records whether a commitment was kept."""
    if status not in CommitmentStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == CommitmentStatus.UNFULFILLED and not note.strip():
        raise ValidationError({"note": _("Say why the commitment is unfulfilled.")})
    commitment.status = status
    commitment.status_note = note
    commitment.status_changed_at = timezone.now()
    commitment.save(update_fields=["status", "status_note", "status_changed_at", "updated_at"])
    _public_changed(commitment.tenant_id)
    return commitment


def commitment_breach_initial(commitment: Commitment) -> dict:
    """Values that pre-fill the failure-of-trust record for a broken commitment."""
    return {
        "subject_type": SubjectType.AGENCY,
        "agency": commitment.agency,
        "source": RecordSource.INSPECTION,
        "facts": _("Commitment not fulfilled: %(title)s (promised by %(date)s). %(note)s")
        % {
            "title": commitment.title,
            "date": commitment.promised_date.isoformat(),
            "note": commitment.status_note,
        },
    }


@transaction.atomic
def commitment_record_breach(*, commitment: Commitment, data: dict, actor: User) -> TrustRecord:
    if commitment.status != CommitmentStatus.UNFULFILLED:
        raise ValidationError(_("Only an unfulfilled commitment becomes a record."))
    if commitment.breach_record_id:
        raise ValidationError(_("This commitment already has a record."))
    record = record_create(tenant=commitment.agency.tenant, data=data, actor=actor)
    commitment.breach_record = record
    commitment.save(update_fields=["breach_record", "updated_at"])
    return record


# Case notices -----------------------------------------------------------------------------


@transaction.atomic
def notice_save(
    *, tenant: Tenant, data: dict, actor: User, notice: CaseNotice | None = None
) -> CaseNotice:
    created = notice is None
    notice = notice or CaseNotice(tenant=tenant, created_by=actor)
    if notice.status != NoticeStatus.DRAFT:
        raise ValidationError(_("Only a draft notice can be edited."))
    changed = apply_changes(notice, data, ("title", "document_number", "body"))
    save_changes(notice, changed, created=created)
    if "records" in data:
        records = list(data["records"])
        if not records:
            raise ValidationError({"records": _("Choose at least one record.")})
        if any(r.tenant_id != tenant.pk for r in records):
            raise ValidationError({"records": _("Choose records of this jurisdiction.")})
        notice.records.set(records)
    return notice


@transaction.atomic
def notice_publish(*, notice: CaseNotice, actor: User) -> CaseNotice:
    if notice.status != NoticeStatus.DRAFT:
        raise ValidationError(_("Only a draft notice can be published."))
    if not notice.records.exists():
        raise ValidationError(_("A notice needs at least one record."))
    notice.status = NoticeStatus.PUBLISHED
    notice.published_at = timezone.now()
    notice.published_by = actor
    notice.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    _public_changed(notice.tenant_id)
    return notice


@transaction.atomic
def notice_withdraw(*, notice: CaseNotice, reason: str, actor: User) -> CaseNotice:
    if notice.status != NoticeStatus.PUBLISHED:
        raise ValidationError(_("Only a published notice can be withdrawn."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    notice.status = NoticeStatus.WITHDRAWN
    notice.withdrawn_at = timezone.now()
    notice.withdraw_reason = reason
    notice.save(update_fields=["status", "withdrawn_at", "withdraw_reason", "updated_at"])
    _public_changed(notice.tenant_id)
    return notice


# Measure lists ----------------------------------------------------------------------------

JOINT_MEASURE_FIELDS = (
    "direction",
    "measure",
    "department",
    "administrative_matter",
    "business_section",
    "responsible_person",
    "basis",
    "position",
)
FOUR_LIST_FIELDS = ("list_kind", "title", "description", "basis", "position")


@transaction.atomic
def joint_measure_save(
    *, tenant: Tenant, data: dict, actor: User, item: JointMeasure | None = None
) -> JointMeasure:
    created = item is None
    item = item or JointMeasure(tenant=tenant)
    changed = apply_changes(item, data, JOINT_MEASURE_FIELDS)
    save_changes(item, changed, created=created)
    return item


@transaction.atomic
def four_list_entry_save(
    *, tenant: Tenant, data: dict, actor: User, item: FourListEntry | None = None
) -> FourListEntry:
    created = item is None
    item = item or FourListEntry(tenant=tenant)
    changed = apply_changes(item, data, FOUR_LIST_FIELDS)
    save_changes(item, changed, created=created)
    return item


@transaction.atomic
def list_item_delete(*, item, actor: User) -> None:
    item.delete()
