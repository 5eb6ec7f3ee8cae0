"""Reads for credit records, requests, commitments and notices, including the public side."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from integrity.masking import mask_id_number, mask_name, mask_phone

from .choices import CommitmentStatus, NoticeStatus, RecordStatus, RequestKind, RequestStatus
from .models import CaseNotice, Commitment, CreditRequest, TrustRecord


def with_objection_flag(records: QuerySet) -> QuerySet:
    """Annotate `under_objection`: an objection against the record is pending."""
    pending = CreditRequest.objects.filter(
        record=OuterRef("pk"), kind=RequestKind.OBJECTION, status=RequestStatus.PENDING
    )
    return records.annotate(under_objection=Exists(pending))


def records_for_user(user) -> QuerySet:
    return with_objection_flag(
        TrustRecord.objects.for_user(user).select_related(
            "tenant", "agency", "domain", "problem_type"
        )
    )


def public_records(*, tenant=None, today: date | None = None) -> QuerySet:
    """Public only if marked public, on file (not revoked, repaired or expired), publicity not
    ended, and inside the publicity window: decided on or before today and before the maximum
    end. The dates are checked here, so expiry needs no job to run first."""
    today = today or timezone.localdate()
    records = TrustRecord.objects.filter(
        is_public=True,
        status=RecordStatus.ACTIVE,
        publicity_ended_on__isnull=True,
        decision_date__lte=today,
        publicity_max_end__gt=today,
    )
    if tenant is not None:
        records = records.filter(tenant=tenant)
    return with_objection_flag(records.select_related("tenant", "agency", "domain"))


@dataclass(frozen=True)
class PublicRecord:
    """What the public may see of a record: natural persons masked, no ID number."""

    public_id: str
    tenant: str
    subject_type: str
    subject_name: str
    subject_credit_code: str
    domain: str
    source: str
    severity: str
    facts: str
    decision_number: str
    deciding_authority: str
    decision_date: date
    publicity_max_end: date | None
    repair_from: date | None
    under_objection: bool


# Digit boundaries, not \b: in Chinese text a number usually touches a character
# ("身份证号130826…"), and \b sees no boundary between a Han character and a digit.
ID_RE = re.compile(r"(?<![0-9])\d{17}[\dXx](?![0-9Xx])")
MOBILE_RE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")


def mask_text(text: str, names: list[str]) -> str:
    """Free text shown publicly: known personal names, ID numbers and mobile numbers masked."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    text = ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return MOBILE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def public_view(record: TrustRecord) -> PublicRecord:
    person = record.is_natural_person
    names = [record.subject_name] if person else []
    return PublicRecord(
        public_id=str(record.public_id),
        tenant=record.tenant.name,
        subject_type=record.get_subject_type_display(),
        subject_name=mask_name(record.subject_name) if person else record.subject_name,
        subject_credit_code="" if person else record.subject_credit_code,
        domain=record.domain.name if record.domain_id else "",
        source=record.get_source_display(),
        severity=record.get_severity_display(),
        facts=mask_text(record.facts, names),
        decision_number=record.decision_number,
        deciding_authority=record.deciding_authority,
        decision_date=record.decision_date,
        publicity_max_end=record.publicity_max_end,
        repair_from=record.publicity_min_end,
        under_objection=getattr(record, "under_objection", False),
    )


def published_notices(*, tenant=None) -> QuerySet:
    notices = CaseNotice.objects.filter(status=NoticeStatus.PUBLISHED)
    if tenant is not None:
        notices = notices.filter(tenant=tenant)
    return notices.select_related("tenant").prefetch_related("records")


def _cited_persons(notice: CaseNotice) -> list[str]:
    return [r.subject_name for r in notice.records.all() if r.is_natural_person]


def public_notice_text(notice: CaseNotice) -> str:
    return mask_text(notice.body, _cited_persons(notice))


def public_notice_title(notice: CaseNotice) -> str:
    """The title as published: the civil servants the notice cites are masked in it too."""
    return mask_text(notice.title, _cited_persons(notice))


def public_commitments(*, tenant=None) -> QuerySet:
    commitments = Commitment.objects.filter(is_public=True, agency__is_active=True)
    if tenant is not None:
        commitments = commitments.filter(tenant=tenant)
    return commitments.select_related("agency")


def request_by_receipt(code: str) -> CreditRequest | None:
    """The request with this receipt code, or None; a wrong code reveals nothing."""
    from .rules import normalise_receipt_code

    code = normalise_receipt_code(code)
    if not code:
        return None
    return (
        CreditRequest.objects.select_related("record", "record__tenant")
        .filter(receipt_code=code)
        .first()
    )


def integrity_file(user, id_number: str) -> QuerySet:
    """A civil servant's integrity file (诚信档案): all records under this ID number."""
    return (
        TrustRecord.objects.for_user(user)
        .filter(person_id_number=id_number.strip().upper())
        .select_related("agency", "domain")
        .prefetch_related("measures")
        .order_by("-decision_date")
    )


def requests_for_user(user) -> QuerySet:
    return CreditRequest.objects.for_user(user).select_related("record")


def overdue_requests(user, today: date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return requests_for_user(user).filter(status=RequestStatus.PENDING, deadline__lt=today)


def commitments_for_user(user) -> QuerySet:
    return Commitment.objects.for_user(user).select_related("agency")


def open_commitments_due(user, today: date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return commitments_for_user(user).filter(
        Q(status=CommitmentStatus.IN_PROGRESS) & Q(promised_date__lt=today)
    )


# Records and commitments pages, office and agency side (helper h6) -------------------------

PUBLICITY_PUBLIC = "public"
PUBLICITY_NOT_PUBLISHED = "not_published"
PUBLICITY_ENDED = "ended"


def with_public_now(records: QuerySet, today: date | None = None) -> QuerySet:
    """Annotate `public_now`: the record is shown on the public side today. Defined by
    public_records() itself, so the internal pages and the public side cannot disagree."""
    shown = public_records(today=today).filter(pk=OuterRef("pk"))
    return records.annotate(public_now=Exists(shown))


def publicity_state(record: TrustRecord, today: date | None = None) -> str:
    """public / not_published / ended, for a record annotated by with_public_now()."""
    today = today or timezone.localdate()
    if getattr(record, "public_now", False):
        return PUBLICITY_PUBLIC
    if record.publicity_ended_on or (
        record.is_public
        and (
            record.status != RecordStatus.ACTIVE
            or (record.publicity_max_end and record.publicity_max_end <= today)
        )
    ):
        return PUBLICITY_ENDED
    return PUBLICITY_NOT_PUBLISHED


def present_record(record: TrustRecord, *, personal_data: bool) -> TrustRecord:
    """Set `shown_subject`, `shown_id_number` and `shown_facts`: outside the office (agency roles,
    city viewers) a civil servant's name and ID number are masked, in the facts as well."""
    person = record.is_natural_person
    if personal_data or not person:
        record.shown_subject = record.subject_name
        record.shown_id_number = record.person_id_number
        record.shown_facts = record.facts
    else:
        record.shown_subject = mask_name(record.subject_name)
        record.shown_id_number = mask_id_number(record.person_id_number)
        record.shown_facts = mask_text(record.facts, [record.subject_name])
    return record


# What the record history leaves out: keys, bookkeeping timestamps, the rule's id.
HISTORY_SKIPPED = {
    "id",
    "tenant_id",
    "public_id",
    "created_at",
    "updated_at",
    "created_by_id",
    "status_changed_at",
    "publicity_rule_id",
}


def _history_value(field, value, *, names: dict, mask: bool, person_name: str):
    if value is None or value == "":
        return value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation:
        return names.get((field.related_model, value), f"#{value}")
    if mask and field.name == "person_id_number":
        return mask_id_number(value)
    if mask and field.name == "subject_name":
        return mask_name(value)
    if mask and isinstance(value, str):
        return mask_text(value, [person_name])
    return value


def record_history(record: TrustRecord, *, personal_data: bool) -> list[dict]:
    """Who changed what and when, for a record, its measures and its attachments (pghistory
    events, oldest first). Personal data is masked as on the record itself."""
    from pghistory.models import Events

    from accounts.models import Agency

    from .models import KeyDomain, ProblemType, PunishmentMeasure, RecordAttachment

    events = list(
        Events.objects.across(
            "domains.TrustRecordEvent",
            "domains.PunishmentMeasureEvent",
            "domains.RecordAttachmentEvent",
        )
        .filter(
            Q(pgh_obj_model="domains.TrustRecord", pgh_obj_id=str(record.pk))
            | Q(pgh_data__record_id=record.pk)
        )
        .order_by("pgh_created_at", "pgh_id")
    )
    ids = {Agency: set(), KeyDomain: set(), ProblemType: set()}
    for event in events:
        for key, model in (
            ("agency_id", Agency),
            ("domain_id", KeyDomain),
            ("problem_type_id", ProblemType),
        ):
            for value in (event.pgh_diff or {}).get(key, []):
                if value:
                    ids[model].add(value)
    names = {
        (model, obj.pk): str(obj)
        for model, pks in ids.items()
        if pks
        for obj in model.objects.filter(pk__in=pks)
    }
    mask = record.is_natural_person and not personal_data
    models_by_label = {
        "domains.TrustRecord": TrustRecord,
        "domains.PunishmentMeasure": PunishmentMeasure,
        "domains.RecordAttachment": RecordAttachment,
    }
    history = []
    for event in events:
        model = models_by_label[event.pgh_obj_model]
        fields = {f.attname: f for f in model._meta.concrete_fields}
        changes = []
        if event.pgh_label == "update":
            for key, (before, after) in (event.pgh_diff or {}).items():
                if key in HISTORY_SKIPPED or key not in fields:
                    continue
                field = fields[key]
                changes.append(
                    {
                        "field": field.verbose_name,
                        "before": _history_value(
                            field, before, names=names, mask=mask, person_name=record.subject_name
                        ),
                        "after": _history_value(
                            field, after, names=names, mask=mask, person_name=record.subject_name
                        ),
                    }
                )
            if not changes:
                continue
        data = event.pgh_data or {}
        if model is PunishmentMeasure:
            subject = dict(fields["measure_type"].flatchoices).get(data.get("measure_type"), "")
        elif model is RecordAttachment:
            subject = data.get("original_name", "")
        else:
            subject = ""
        context = event.pgh_context or {}
        history.append(
            {
                "at": event.pgh_created_at,
                "by": context.get("username") or context.get("source") or "",
                "model": model._meta.verbose_name,
                "is_record": model is TrustRecord,
                "label": event.pgh_label,
                "subject": subject,
                "changes": changes,
            }
        )
    return history


def civil_servants_named(user, name: str) -> QuerySet:
    """Civil servants with records the user reads whose name contains `name`, one row per ID
    number: the latest name, the number of records and one record to open the file by."""
    from django.db.models import Count, Max

    from .choices import SubjectType

    return (
        TrustRecord.objects.for_user(user)
        .filter(subject_type=SubjectType.CIVIL_SERVANT, subject_name__icontains=name.strip())
        .values("person_id_number")
        .annotate(
            name=Max("subject_name"),
            records=Count("id"),
            record_id=Max("id"),
            latest=Max("decision_date"),
        )
        .order_by("name", "person_id_number")
    )


def with_overdue(commitments: QuerySet, today: date | None = None) -> QuerySet:
    """Annotate `overdue`: still in progress after the promised date."""
    from django.db.models import BooleanField, ExpressionWrapper

    today = today or timezone.localdate()
    return commitments.annotate(
        overdue=ExpressionWrapper(
            Q(status=CommitmentStatus.IN_PROGRESS, promised_date__lt=today),
            output_field=BooleanField(),
        )
    )


# Figures the supervision score reads (issue 6), same contract as supervision.selectors.

FIGURES: dict[str, str] = {
    "records_light": "light failure-of-trust records on the agency decided in the period "
    "(revoked ones excluded)",
    "records_general": "general records on the agency decided in the period",
    "records_serious": "serious records on the agency decided in the period",
    "commitments_due": "credit commitments of the agency promised for a date in the period",
    "commitments_fulfilled": "of those, marked fulfilled",
}


def agency_figures(*, tenant, start: date, end: date) -> dict[int, dict[str, object]]:
    """{agency id: {figure code: value}} for every agency of the tenant (active or not)."""
    from accounts.models import Agency

    from .choices import Severity

    period = (start, end)
    decided = Q(decision_date__range=period) & ~Q(status=RecordStatus.REVOKED)
    records = {
        row.pop("agency_id"): row
        for row in TrustRecord.objects.filter(tenant=tenant, agency__isnull=False)
        .values("agency_id")
        .order_by()
        .annotate(
            records_light=Count("id", filter=decided & Q(severity=Severity.LIGHT)),
            records_general=Count("id", filter=decided & Q(severity=Severity.GENERAL)),
            records_serious=Count("id", filter=decided & Q(severity=Severity.SERIOUS)),
        )
    }
    commitments = {
        row.pop("agency_id"): row
        for row in Commitment.objects.filter(tenant=tenant)
        .values("agency_id")
        .order_by()
        .annotate(
            commitments_due=Count("id", filter=Q(promised_date__range=period)),
            commitments_fulfilled=Count(
                "id",
                filter=Q(promised_date__range=period, status=CommitmentStatus.FULFILLED),
            ),
        )
    }
    figures = {}
    for agency_id in Agency.objects.filter(tenant=tenant).values_list("id", flat=True):
        values = dict.fromkeys(FIGURES, 0)
        values.update(records.get(agency_id, {}))
        values.update(commitments.get(agency_id, {}))
        figures[agency_id] = values
    return figures
