"""Case notices (失信案件通报, M5): staff compose a notice from records, an office admin
publishes it to the public side (personal data masked) and may withdraw it (audited)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from integrity.http import form_errors, log_export, xlsx_response
from integrity.permissions import PermissionRequiredMixin, has_perm
from integrity.tenancy import get_scoped_object_or_404, reads_several_tenants, visible_tenant_ids
from integrity.xlsx import write_workbook

from .. import selectors, services
from ..choices import NoticeStatus
from ..forms.notices import CaseNoticeFilter, NoticeForm, WithdrawForm
from ..models import CaseNotice


class NoticeListView(PermissionRequiredMixin, ListView):
    permission = "notice.view"
    template_name = "domains/notices/notice_list.html"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        queryset = (
            CaseNotice.objects.for_user(user)
            .select_related("tenant", "created_by", "published_by")
            .annotate(record_count=Count("records"))
            .order_by("-created_at", "-id")
        )
        self.filterset = CaseNoticeFilter(
            self.request.GET or None,
            queryset=queryset,
            user=user,
            tenant_ids=visible_tenant_ids(user),
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["multi_tenant"] = reads_several_tenants(self.request.user)
        context["can_compose"] = has_perm(self.request.user, "notice.compose")
        return context


class NoticeExportView(NoticeListView):
    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        multi = reads_several_tenants(request.user)
        log_export(request, what="case-notices", rows=queryset.count())

        def when(value):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

        headers = [
            _("Title"),
            _("Document number"),
            _("Status"),
            _("Records"),
            _("Composed by"),
            _("Created at"),
            _("Published at"),
            _("Withdrawn at"),
            _("Reason for the withdrawal"),
        ] + ([_("Jurisdiction")] if multi else [])
        rows = (
            [
                notice.title,
                notice.document_number,
                str(notice.get_status_display()),
                notice.record_count,
                str(notice.created_by or ""),
                when(notice.created_at),
                when(notice.published_at),
                when(notice.withdrawn_at),
                notice.withdraw_reason,
            ]
            + ([notice.tenant.name] if multi else [])
            for notice in queryset
        )
        content = write_workbook([(_("Case notices"), headers, rows)])
        return xlsx_response(content, "case-notices")


def _writable(user, notice: CaseNotice) -> bool:
    return CaseNotice.objects.writable_by(user).filter(pk=notice.pk).exists()


class NoticeDetailView(PermissionRequiredMixin, View):
    permission = "notice.view"
    template_name = "domains/notices/notice_detail.html"

    def get(self, request, pk, withdraw_form=None):
        user = request.user
        notice = get_scoped_object_or_404(
            CaseNotice.objects.for_user(user).select_related(
                "tenant", "created_by", "published_by"
            ),
            pk=pk,
        )
        writable = _writable(user, notice)
        draft = notice.status == NoticeStatus.DRAFT
        published = notice.status == NoticeStatus.PUBLISHED
        context = {
            "object": notice,
            "records": selectors.records_for_user(user).filter(notices=notice),
            "public_text": selectors.public_notice_text(notice),
            "can_edit": draft and writable and has_perm(user, "notice.compose"),
            "can_publish": draft and writable and has_perm(user, "notice.publish"),
            "can_withdraw": published and writable and has_perm(user, "notice.publish"),
        }
        context["withdraw_form"] = (
            (withdraw_form or WithdrawForm()) if context["can_withdraw"] else None
        )
        return render(
            request, self.template_name, context, status=400 if withdraw_form is not None else 200
        )


class NoticeFormView(PermissionRequiredMixin, View):
    permission = "notice.compose"
    template_name = "domains/notices/notice_form.html"

    def get_object(self, pk):
        if pk is None:
            return None
        return get_scoped_object_or_404(
            CaseNotice.objects.writable_by(self.request.user).select_related("tenant"), pk=pk
        )

    def _not_draft(self, notice):
        messages.error(self.request, _("Only a draft notice can be edited."))
        return redirect("domains:notice-detail", pk=notice.pk)

    def get(self, request, pk=None):
        notice = self.get_object(pk)
        if notice is not None and notice.status != NoticeStatus.DRAFT:
            return self._not_draft(notice)
        form = NoticeForm(user=request.user, notice=notice)
        return render(request, self.template_name, {"form": form, "object": notice})

    def post(self, request, pk=None):
        notice = self.get_object(pk)
        if notice is not None and notice.status != NoticeStatus.DRAFT:
            return self._not_draft(notice)
        form = NoticeForm(request.POST, user=request.user, notice=notice)
        if form.is_valid():
            data = dict(form.cleaned_data)
            tenant = data.pop("tenant", None) or (notice.tenant if notice else request.user.tenant)
            try:
                notice = services.notice_save(
                    tenant=tenant, data=data, actor=request.user, notice=notice
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("domains:notice-detail", pk=notice.pk)
        return render(request, self.template_name, {"form": form, "object": notice})


class NoticePublishView(PermissionRequiredMixin, View):
    permission = "notice.publish"

    def post(self, request, pk):
        notice = get_scoped_object_or_404(CaseNotice.objects.writable_by(request.user), pk=pk)
        try:
            services.notice_publish(notice=notice, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The notice is published on the public side."))
        return redirect("domains:notice-detail", pk=pk)


class NoticeWithdrawView(PermissionRequiredMixin, View):
    permission = "notice.publish"

    def post(self, request, pk):
        notice = get_scoped_object_or_404(CaseNotice.objects.writable_by(request.user), pk=pk)
        form = WithdrawForm(request.POST)
        if not form.is_valid():
            if notice.status != NoticeStatus.PUBLISHED:
                messages.error(request, _("Only a published notice can be withdrawn."))
                return redirect("domains:notice-detail", pk=pk)
            return NoticeDetailView().get(request, pk, withdraw_form=form)
        try:
            services.notice_withdraw(
                notice=notice, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The notice was withdrawn from the public side."))
        return redirect("domains:notice-detail", pk=pk)


urlpatterns = [
    path("notices/", NoticeListView.as_view(), name="notice-list"),
    path("notices/new/", NoticeFormView.as_view(), name="notice-create"),
    path("notices/export/", NoticeExportView.as_view(), name="notice-export"),
    path("notices/<int:pk>/", NoticeDetailView.as_view(), name="notice-detail"),
    path("notices/<int:pk>/edit/", NoticeFormView.as_view(), name="notice-update"),
    path("notices/<int:pk>/publish/", NoticePublishView.as_view(), name="notice-publish"),
    path("notices/<int:pk>/withdraw/", NoticeWithdrawView.as_view(), name="notice-withdraw"),
]
