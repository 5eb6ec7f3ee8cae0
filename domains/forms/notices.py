"""Forms and filters of case notices (失信案件通报). Shape only: `services.notice_save`,
`notice_publish` and `notice_withdraw` hold the rules."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import TenantLevel
from accounts.models import Tenant

from ..choices import NoticeStatus, RecordStatus
from ..models import CaseNotice, TrustRecord


class CaseNoticeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=50)
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=NoticeStatus.choices)
    since = django_filters.DateFilter(
        label=_("Created from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=_("Created until"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = CaseNotice
        fields = ["q", "tenant", "status", "since", "until"]

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
        if tenant_ids is not None and len(tenant_ids) <= 1:
            del self.filters["tenant"]
        else:
            self.filters["tenant"].queryset = Tenant.objects.for_user(user)
        self.filters["q"].field.widget.attrs["placeholder"] = _("Title or document number")

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(document_number__icontains=value))


class RecordChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: TrustRecord) -> str:
        return (
            f"{obj.decision_date:%Y-%m-%d} · {obj.decision_number} · {obj.subject_name} · "
            f"{obj.get_severity_display()}"
        )


class NoticeForm(forms.Form):
    """Title, document number, text and the records the notice reports. A platform
    administrator (who belongs to no county) also chooses the county."""

    tenant = forms.ModelChoiceField(label=_("Jurisdiction"), queryset=Tenant.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    document_number = forms.CharField(label=_("Document number"), max_length=100, required=False)
    body = forms.CharField(
        label=_("Text"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "On the public side, the names of the civil servants in the chosen "
            "records, ID numbers and mobile numbers are masked."
        ),
    )
    records = RecordChoiceField(
        label=_("Records reported"),
        queryset=TrustRecord.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Hold Ctrl (Cmd on a Mac) to choose several."),
    )

    def __init__(self, *args, user, notice: CaseNotice | None = None, **kwargs):
        if notice is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": notice.title,
                "document_number": notice.document_number,
                "body": notice.body,
                "records": list(notice.records.all()),
            }
        super().__init__(*args, **kwargs)
        tenant = notice.tenant if notice is not None else user.tenant
        if tenant is not None:
            del self.fields["tenant"]
            records = TrustRecord.objects.writable_by(user).filter(tenant=tenant)
        else:
            self.fields["tenant"].queryset = Tenant.objects.writable_by(user).filter(
                level=TenantLevel.COUNTY
            )
            records = TrustRecord.objects.writable_by(user).select_related("tenant")
        chosen = notice.records.all() if notice is not None else TrustRecord.objects.none()
        self.fields["records"].queryset = (
            (records.exclude(status=RecordStatus.REVOKED) | records.filter(pk__in=chosen))
            .distinct()
            .order_by("-decision_date", "-id")
        )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the withdrawal"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The notice leaves the public side at once; the reason is kept in the notice's history."
        ),
    )
