"""Failure-of-trust records (政务失信记录), office and agency side: the list with its Excel
export, the record page with the office's actions, create and edit, and a civil servant's
integrity file (诚信档案).

Agency clerks and leaders read their own agency's records (tenant scoping does it) and cannot
change anything. Outside the office (agency roles, city viewers) civil servants' names and ID
numbers are masked on every page and in the export.
"""

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants
from integrity.xlsx import write_workbook

from .. import selectors, services
from ..choices import CommitmentStatus, SubjectType
from ..forms.records import (
    SEVERITY_RANK,
    AttachmentForm,
    MeasureForm,
    PersonSearchForm,
    ReasonForm,
    RecordFilter,
    RecordForm,
)
from ..models import (
    CaseNotice,
    Commitment,
    CreditRequest,
    PublicityRule,
    PunishmentMeasure,
    RecordAttachment,
    TrustRecord,
)

DETAIL_TEMPLATE = "domains/records/record_detail.html"

PUBLICITY_LABELS = {
    selectors.PUBLICITY_PUBLIC: gettext_lazy("Public now"),
    selectors.PUBLICITY_NOT_PUBLISHED: gettext_lazy("Not published"),
    selectors.PUBLICITY_ENDED: gettext_lazy("Publicity ended"),
}


def sees_personal_data(user) -> bool:
    """Civil servants' names and ID numbers are shown unmasked to the credit office only."""
    return has_perm(user, "person_file.view")


def _present(record, user, today):
    selectors.present_record(record, personal_data=sees_personal_data(user))
    record.publicity_state = selectors.publicity_state(record, today)
    record.publicity_label = PUBLICITY_LABELS[record.publicity_state]
    return record


def _readable_records(user):
    return selectors.with_public_now(selectors.records_for_user(user))


# List and export --------------------------------------------------------------------------

SORTABLE = {"decision_date": "-decision_date", "severity": "-severity", "subject": "subject"}


class RecordListView(PermissionRequiredMixin, ListView):
    permission = "record.view"
    template_name = "domains/records/record_list.html"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        records = _readable_records(user).annotate(severity_rank=SEVERITY_RANK)
        self.filterset = RecordFilter(
            self.request.GET or None,
            queryset=records,
            user=user,
            personal_data=sees_personal_data(user),
        )
        return self.filterset.qs

    def _sort_links(self) -> dict:
        current = self.request.GET.get("o") or "-decision_date"
        links = {}
        for column, first in SORTABLE.items():
            if current.lstrip("-") == column:
                links[column] = {
                    "next": current[1:] if current.startswith("-") else f"-{column}",
                    "arrow": "▼" if current.startswith("-") else "▲",
                }
            else:
                links[column] = {"next": first, "arrow": ""}
        return links

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        for record in context["object_list"]:
            _present(record, user, today)
        context.update(
            filter=self.filterset,
            sort=self._sort_links(),
            multi_tenant=reads_several_tenants(user),
            can_manage=has_perm(user, "record.manage") and user.tenant_id is not None,
            can_export=has_perm(user, "record.export"),
            can_person_file=has_perm(user, "person_file.view"),
        )
        return context


def record_columns(multi_tenant: bool):
    def yes_no(value):
        return _("Yes") if value else _("No")

    columns = [(_("Jurisdiction"), lambda r: r.tenant.name)] if multi_tenant else []
    return columns + [
        (_("Subject type"), lambda r: r.get_subject_type_display()),
        (_("Failing subject"), lambda r: r.shown_subject),
        (_("Unified social credit code"), lambda r: r.subject_credit_code),
        (_("Resident ID number"), lambda r: r.shown_id_number),
        (_("Position"), lambda r: r.person_position),
        (_("Agency"), lambda r: r.agency.name if r.agency_id else ""),
        (_("Key domain"), lambda r: r.domain.name if r.domain_id else ""),
        (_("Problem type"), lambda r: r.problem_type.name if r.problem_type_id else ""),
        (_("Source"), lambda r: r.get_source_display()),
        (_("Severity"), lambda r: r.get_severity_display()),
        (_("Facts"), lambda r: r.shown_facts),
        (_("Decision document number"), lambda r: r.decision_number),
        (_("Deciding authority"), lambda r: r.deciding_authority),
        (_("Decision date"), lambda r: r.decision_date),
        (_("Punishment period ends"), lambda r: r.punishment_end),
        (_("Minimum publicity ends"), lambda r: r.publicity_min_end),
        (_("Publicity ends at the latest"), lambda r: r.publicity_max_end),
        (_("Publicity"), lambda r: str(r.publicity_label)),
        (_("Publicity ended on"), lambda r: r.publicity_ended_on),
        (_("Sharing stopped on"), lambda r: r.sharing_stopped_on),
        (_("Status"), lambda r: r.get_status_display()),
        (_("Reason for the status"), lambda r: r.status_reason),
        (_("Under objection"), lambda r: yes_no(r.under_objection)),
    ]


class RecordExportView(RecordListView):
    """The filtered rows, every page, as .xlsx (ID numbers masked outside the office)."""

    permission = "record.export"

    def get(self, request, *args, **kwargs):
        records = self.get_queryset()
        today = timezone.localdate()
        columns = record_columns(reads_several_tenants(request.user))
        rows = [
            [value(_present(record, request.user, today)) for _label, value in columns]
            for record in records
        ]
        log_export(request, what="trust_records", rows=len(rows))
        content = write_workbook(
            [(_("Failure-of-trust records"), [label for label, _value in columns], rows)]
        )
        return xlsx_response(content, "trust-records")


# Record page and the office's actions ------------------------------------------------------


def _can_manage(user, record) -> bool:
    return (
        has_perm(user, "record.manage")
        and TrustRecord.objects.writable_by(user).filter(pk=record.pk).exists()
    )


def detail_context(request, record, **forms) -> dict:
    """Everything the record page shows; `forms` are bound forms that failed (shown again
    with their errors, their section open)."""
    user = request.user
    record = _present(record, user, timezone.localdate())
    can_manage = _can_manage(user, record)
    context = {
        "record": record,
        "can_manage": can_manage,
        "personal_data": sees_personal_data(user),
        "multi_tenant": reads_several_tenants(user),
        "measures": list(record.measures.all()),
        "attachments": list(record.attachments.select_related("uploaded_by")),
        "history": selectors.record_history(record, personal_data=sees_personal_data(user)),
        "commitment": Commitment.objects.for_user(user)
        .filter(breach_record=record)
        .select_related("agency")
        .first(),
        "requests": None,
        "notices": None,
        "can_person_file": record.is_natural_person and has_perm(user, "person_file.view"),
    }
    if has_perm(user, "request.view"):
        context["requests"] = list(
            CreditRequest.objects.for_user(user).filter(record=record).order_by("-submitted_at")
        )
    if has_perm(user, "notice.view"):
        context["notices"] = list(CaseNotice.objects.for_user(user).filter(records=record))
    if can_manage:
        context.update(
            revoke_form=forms.get("revoke_form") or ReasonForm(prefix="revoke"),
            end_publicity_form=forms.get("end_publicity_form")
            or ReasonForm(prefix="end_publicity"),
            stop_sharing_form=forms.get("stop_sharing_form") or ReasonForm(prefix="stop_sharing"),
            measure_form=forms.get("measure_form")
            or MeasureForm(prefix="measure", initial={"date": timezone.localdate()}),
            attachment_form=forms.get("attachment_form") or AttachmentForm(prefix="attachment"),
            open_form=next(iter(forms), ""),
        )
    return context


class RecordDetailView(PermissionRequiredMixin, View):
    permission = "record.view"

    def get(self, request, pk):
        record = get_scoped_object_or_404(_readable_records(request.user), pk=pk)
        return render(request, DETAIL_TEMPLATE, detail_context(request, record))


class _RecordWriteView(PermissionRequiredMixin, View):
    permission = "record.manage"

    def writable_record(self, pk):
        return get_scoped_object_or_404(TrustRecord.objects.writable_by(self.request.user), pk=pk)

    def done(self, record, message):
        messages.success(self.request, message)
        return redirect("domains:record-detail", pk=record.pk)

    def failed(self, record, **forms):
        # Re-read: a refused service call changed nothing in the database.
        fresh = get_scoped_object_or_404(_readable_records(self.request.user), pk=record.pk)
        return render(self.request, DETAIL_TEMPLATE, detail_context(self.request, fresh, **forms))


class RecordPublishView(_RecordWriteView):
    public = True

    def post(self, request, pk):
        record = self.writable_record(pk)
        try:
            services.record_set_public(record=record, public=self.public, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("domains:record-detail", pk=record.pk)
        return self.done(
            record,
            _("The record is marked for publication.")
            if self.public
            else _("The record is no longer published."),
        )


REASON_ACTIONS = {
    # action: (service, message when done)
    "revoke": (services.record_revoke, gettext_lazy("The record is revoked.")),
    "end_publicity": (services.record_end_publicity, gettext_lazy("Publicity ended.")),
    "stop_sharing": (
        services.record_stop_sharing,
        gettext_lazy("The record is no longer shared with the city platform."),
    ),
}


class RecordReasonActionView(_RecordWriteView):
    """Revoke, end publicity, stop sharing: each needs a reason."""

    action = ""

    def post(self, request, pk):
        record = self.writable_record(pk)
        service, done = REASON_ACTIONS[self.action]
        form = ReasonForm(request.POST, prefix=self.action)
        if form.is_valid():
            try:
                service(record=record, reason=form.cleaned_data["reason"], actor=request.user)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                return self.done(record, done)
        return self.failed(record, **{f"{self.action}_form": form})


class MeasureAddView(_RecordWriteView):
    def post(self, request, pk):
        record = self.writable_record(pk)
        form = MeasureForm(
            request.POST,
            prefix="measure",
            instance=PunishmentMeasure(tenant_id=record.tenant_id, record=record),
        )
        if form.is_valid():
            try:
                services.measure_add(record=record, data=form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                return self.done(record, _("Measure added."))
        return self.failed(record, measure_form=form)


class MeasureDeleteView(_RecordWriteView):
    def post(self, request, pk):
        measure = get_scoped_object_or_404(
            PunishmentMeasure.objects.writable_by(request.user).select_related("record"), pk=pk
        )
        record = measure.record
        services.measure_delete(measure=measure, actor=request.user)
        return self.done(record, _("Measure deleted."))


class RecordAttachmentAddView(_RecordWriteView):
    def post(self, request, pk):
        record = self.writable_record(pk)
        form = AttachmentForm(request.POST, request.FILES, prefix="attachment")
        if form.is_valid():
            try:
                services.attachment_add(
                    parent=record, uploaded=form.cleaned_data["file"], actor=request.user
                )
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                return self.done(record, _("Attachment uploaded."))
        return self.failed(record, attachment_form=form)


def attachment_response(attachment):
    try:
        return attachment.response()
    except FileNotFoundError:
        raise Http404 from None


class RecordAttachmentView(PermissionRequiredMixin, View):
    """Served only to users who may read the record."""

    permission = "record.view"

    def get(self, request, pk):
        attachment = get_scoped_object_or_404(
            RecordAttachment.objects.for_user(request.user), pk=pk
        )
        return attachment_response(attachment)


# Create and edit --------------------------------------------------------------------------


def _rules_in_force(tenant):
    return (
        PublicityRule.objects.for_tenant(tenant)
        .annotate(rank=SEVERITY_RANK)
        .order_by("rank", "-effective_from")
    )


class RecordFormView(PermissionRequiredMixin, View):
    """New record (optionally for a broken commitment: ?commitment=<pk>) or edit one."""

    permission = "record.manage"
    template_name = "domains/records/record_form.html"

    def setup_objects(self, pk):
        user = self.request.user
        self.record = self.commitment = None
        if pk is not None:
            self.record = get_scoped_object_or_404(TrustRecord.objects.writable_by(user), pk=pk)
            self.tenant = self.record.tenant
            return None
        commitment_id = self.request.GET.get("commitment")
        if commitment_id:
            self.commitment = get_scoped_object_or_404(
                Commitment.objects.writable_by(user).select_related("agency", "tenant"),
                pk=commitment_id,
            )
            if self.commitment.breach_record_id:
                messages.info(self.request, _("This commitment already has a record."))
                return redirect("domains:record-detail", pk=self.commitment.breach_record_id)
            if self.commitment.status != CommitmentStatus.UNFULFILLED:
                messages.error(self.request, _("Only an unfulfilled commitment becomes a record."))
                return redirect("domains:commitment-detail", pk=self.commitment.pk)
        self.tenant = self.commitment.tenant if self.commitment else user.tenant
        if self.tenant is None:
            raise PermissionDenied(
                _("Only a jurisdiction's credit office records failure-of-trust records.")
            )
        return None

    def form(self, data=None):
        if self.record is not None:
            return RecordForm(
                data, instance=copy.copy(self.record), tenant=self.tenant, with_publish=False
            )
        initial = {}
        if self.commitment is not None:
            initial = services.commitment_breach_initial(self.commitment)
        return RecordForm(
            data, initial=initial, instance=TrustRecord(tenant=self.tenant), tenant=self.tenant
        )

    def render_form(self, form):
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "object": self.record,
                "commitment": self.commitment,
                "rules": _rules_in_force(self.tenant),
                "subject_types": SubjectType,
            },
        )

    def get(self, request, pk=None):
        if response := self.setup_objects(pk):
            return response
        return self.render_form(self.form())

    def post(self, request, pk=None):
        if response := self.setup_objects(pk):
            return response
        form = self.form(request.POST)
        if form.is_valid():
            try:
                record = self.save(form)
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _window_message(record))
                return redirect("domains:record-detail", pk=record.pk)
        return self.render_form(form)

    def save(self, form):
        user = self.request.user
        data = form.record_data()
        if self.record is not None:
            return services.record_update(record=self.record, data=data, actor=user)
        publish = form.cleaned_data.get("publish")
        if self.commitment is None:
            return services.record_create(
                tenant=self.tenant, data=data, actor=user, is_public=publish
            )
        with transaction.atomic():
            record = services.commitment_record_breach(
                commitment=self.commitment, data=data, actor=user
            )
            if publish is not None and publish != record.is_public:
                services.record_set_public(record=record, public=publish, actor=user)
        return record


def _window_message(record) -> str:
    return _(
        "Saved. Publicity window: repair possible from %(min)s, publicity ends by itself on "
        "%(max)s; %(published)s."
    ) % {
        "min": record.publicity_min_end.isoformat() if record.publicity_min_end else "—",
        "max": record.publicity_max_end.isoformat() if record.publicity_max_end else "—",
        "published": _("published") if record.is_public else _("not published"),
    }


# Integrity file ---------------------------------------------------------------------------


class PersonFileView(PermissionRequiredMixin, View):
    """A civil servant's records and measures across the county (office roles only). Searched
    by POST so that ID numbers stay out of addresses and server logs."""

    permission = "person_file.view"
    template_name = "domains/records/person_file.html"

    def file_context(self, id_number: str) -> dict:
        records = list(selectors.integrity_file(self.request.user, id_number))
        names = sorted({r.subject_name for r in records})
        return {
            "id_number": id_number,
            "file_records": records,
            "names": names,
            "positions": sorted({r.person_position for r in records if r.person_position}),
            "agencies": sorted({r.agency.name for r in records if r.agency_id}),
            "measure_count": sum(len(r.measures.all()) for r in records),
        }

    def get(self, request):
        context = {"form": PersonSearchForm()}
        record_id = request.GET.get("record")
        if record_id:
            record = get_scoped_object_or_404(
                TrustRecord.objects.for_user(request.user).filter(
                    subject_type=SubjectType.CIVIL_SERVANT
                ),
                pk=record_id,
            )
            context.update(self.file_context(record.person_id_number))
        return render(request, self.template_name, context)

    def post(self, request):
        form = PersonSearchForm(request.POST)
        context = {"form": form}
        if form.is_valid():
            if form.id_number:
                context.update(self.file_context(form.id_number))
            else:
                context["people"] = list(
                    selectors.civil_servants_named(request.user, form.cleaned_data["q"])[:100]
                )
        return render(request, self.template_name, context)


def _reason_action(action):
    return RecordReasonActionView.as_view(action=action)


urlpatterns = [
    path("records/", RecordListView.as_view(), name="record-list"),
    path("records/export/", RecordExportView.as_view(), name="record-export"),
    path("records/new/", RecordFormView.as_view(), name="record-create"),
    path("records/<int:pk>/", RecordDetailView.as_view(), name="record-detail"),
    path("records/<int:pk>/edit/", RecordFormView.as_view(), name="record-update"),
    path(
        "records/<int:pk>/publish/", RecordPublishView.as_view(public=True), name="record-publish"
    ),
    path(
        "records/<int:pk>/unpublish/",
        RecordPublishView.as_view(public=False),
        name="record-unpublish",
    ),
    path("records/<int:pk>/revoke/", _reason_action("revoke"), name="record-revoke"),
    path(
        "records/<int:pk>/end-publicity/",
        _reason_action("end_publicity"),
        name="record-end-publicity",
    ),
    path(
        "records/<int:pk>/stop-sharing/", _reason_action("stop_sharing"), name="record-stop-sharing"
    ),
    path("records/<int:pk>/measures/", MeasureAddView.as_view(), name="record-measure-add"),
    path(
        "records/measures/<int:pk>/delete/",
        MeasureDeleteView.as_view(),
        name="record-measure-delete",
    ),
    path(
        "records/<int:pk>/attachments/",
        RecordAttachmentAddView.as_view(),
        name="record-attachment-add",
    ),
    path("records/attachments/<int:pk>/", RecordAttachmentView.as_view(), name="record-attachment"),
    path("integrity-files/", PersonFileView.as_view(), name="person-file"),
]
