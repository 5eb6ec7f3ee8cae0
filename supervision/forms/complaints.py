"""Forms and filters of the office's and the agencies' complaint pages.

Forms check shape only; the workflow rules (which step in which status, deadlines, who may
convert) are in `supervision.services`."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Tenant
from domains.choices import Severity
from domains.forms.public import clean_phone
from domains.models import KeyDomain, ProblemType
from integrity.filters import YesNoFilter

from ..choices import Channel, ComplaintStatus, Verification
from ..models import Complaint
from ..services import DEFAULT_REPLY_DAYS
from .public import MultipleFileField, clean_past_date, date_widget

OFFICE_CHANNELS = [(value, label) for value, label in Channel.choices if value != Channel.WEBSITE]


def overdue_q(today) -> Q:
    """Overdue: waiting for the agency's reply past the deadline, or replied late (the flag
    the daily job and the reply set). The deadline day itself is not overdue."""
    return Q(is_overdue=True) | Q(status=ComplaintStatus.ASSIGNED, reply_deadline__lt=today)


class ComplaintFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=50)
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ComplaintStatus.choices)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.none())
    domain = django_filters.ModelChoiceFilter(
        label=_("Key domain"), queryset=KeyDomain.objects.none()
    )
    verification = django_filters.ChoiceFilter(
        label=_("Verification"), choices=Verification.choices
    )
    overdue = YesNoFilter(label=_("Overdue"), method="filter_overdue")
    received_from = django_filters.DateFilter(
        label=_("Received from"),
        field_name="received_on",
        lookup_expr="gte",
        widget=date_widget(),
    )
    received_to = django_filters.DateFilter(
        label=_("Received to"), field_name="received_on", lookup_expr="lte", widget=date_widget()
    )

    class Meta:
        model = Complaint
        fields = [
            "q",
            "tenant",
            "status",
            "channel",
            "agency",
            "domain",
            "verification",
            "overdue",
            "received_from",
            "received_to",
        ]

    def __init__(self, *args, user, tenant_ids, sees_complainant: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.sees_complainant = sees_complainant
        if tenant_ids is not None and len(tenant_ids) <= 1:
            del self.filters["tenant"]
        else:
            self.filters["tenant"].queryset = Tenant.objects.for_user(user)
        if user.agency_id:
            del self.filters["agency"]
        else:
            self.filters["agency"].queryset = Agency.objects.for_user(user).order_by(
                "tenant_id", "name"
            )
        self.filters["domain"].queryset = KeyDomain.objects.for_user(user)
        self.filters["q"].field.widget.attrs["placeholder"] = (
            _("Subject, receipt code, ticket number or complainant")
            if sees_complainant
            else _("Subject, receipt code or ticket number")
        )

    def search(self, queryset, name, value):
        value = value.strip()
        match = (
            Q(title__icontains=value)
            | Q(content__icontains=value)
            | Q(receipt_code__icontains=value)
            | Q(source_reference__icontains=value)
        )
        if self.sees_complainant:
            # Only the office may search by complainant: for anyone else a match would
            # confirm who complained.
            match |= Q(complainant_name__icontains=value) | Q(complainant_phone__icontains=value)
        return queryset.filter(match)

    def filter_overdue(self, queryset, name, value):
        overdue = overdue_q(timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class ComplaintLogForm(forms.ModelForm):
    """A complaint that came by hotline, letter or visit, logged by office staff."""

    class Meta:
        model = Complaint
        fields = [
            "channel",
            "source_reference",
            "received_on",
            "agency",
            "domain",
            "title",
            "content",
            "amount",
            "occurred_on",
            "complainant_name",
            "complainant_phone",
        ]
        widgets = {
            "received_on": date_widget(),
            "occurred_on": date_widget(),
            "content": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = OFFICE_CHANNELS
        self.fields["agency"].queryset = Agency.objects.filter(
            tenant=tenant, is_active=True
        ).order_by("name")
        self.fields["domain"].queryset = KeyDomain.objects.filter(tenant=tenant, is_active=True)
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["source_reference"].help_text = _(
            "Required for the 12345 and 961890 hotlines: the ticket number they gave the call."
        )

    def clean_received_on(self):
        return clean_past_date(self.cleaned_data.get("received_on"))

    def clean_occurred_on(self):
        return clean_past_date(self.cleaned_data.get("occurred_on"))

    def clean_complainant_phone(self) -> str:
        phone = self.cleaned_data.get("complainant_phone", "")
        return clean_phone(phone) if phone.strip() else ""

    def clean(self):
        data = super().clean()
        hotline = data.get("channel") in (Channel.HOTLINE_12345, Channel.HOTLINE_961890)
        data["source_reference"] = (data.get("source_reference") or "").strip()
        if hotline and not data["source_reference"]:
            self.add_error("source_reference", _("Enter the hotline's ticket number."))
        return data


class AssignForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none())
    reply_deadline = forms.DateField(
        label=_("Reply due by"),
        widget=date_widget(),
        help_text=_("Petitions are answered within %(n)d days: that is the default.")
        % {"n": DEFAULT_REPLY_DAYS},
    )

    def __init__(self, *args, complaint, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "agency": complaint.agency_id,
                "reply_deadline": timezone.localdate() + timedelta(days=DEFAULT_REPLY_DAYS),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(
            tenant_id=complaint.tenant_id, is_active=True
        ).order_by("name")


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Reply of the agency"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The facts as the agency found them and what it did or will do."),
    )
    attachments = MultipleFileField(
        label=_("Evidence"),
        help_text=_("PDF, JPG, PNG, Word (.docx), Excel (.xlsx) or OFD, at most 20 MB each."),
    )


class SendBackForm(forms.Form):
    note = forms.CharField(
        label=_("What is missing"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reply_deadline = forms.DateField(
        label=_("New reply deadline"),
        required=False,
        widget=date_widget(),
        help_text=_("Empty: %(n)d days from today.") % {"n": DEFAULT_REPLY_DAYS},
    )


class VerifyForm(forms.Form):
    verification = forms.ChoiceField(
        label=_("Finding"),
        choices=Verification.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Verification findings"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CloseForm(forms.Form):
    public_reply = forms.CharField(
        label=_("Reply to the complainant"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The complainant reads this with the receipt code. Do not name officials "
            "or third parties."
        ),
    )


class ConvertForm(forms.Form):
    """The record fields a complaint does not give: the rest comes from
    `services.complaint_record_initial`."""

    problem_type = forms.ModelChoiceField(
        label=_("Problem type"), queryset=ProblemType.objects.none(), required=False
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    facts = forms.CharField(
        label=_("Facts"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    decision_number = forms.CharField(label=_("Decision document number"), max_length=100)
    deciding_authority = forms.CharField(label=_("Deciding authority"), max_length=100)
    decision_date = forms.DateField(label=_("Decision date"), widget=date_widget())

    def __init__(self, *args, complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem_type"].queryset = ProblemType.objects.filter(
            tenant_id=complaint.tenant_id, is_active=True
        )

    def clean_decision_date(self):
        return clean_past_date(self.cleaned_data.get("decision_date"))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class ToIssueForm(forms.Form):
    """A founded complaint added to the issue ledger of the agency complained about: the
    campaign, and the ledger fields a complaint does not say. The rest is prefilled from
    `rectification.services.issue_from_complaint_initial`."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=None,
        help_text=_("A running campaign the agency takes part in."),
    )
    domain = forms.ModelChoiceField(
        label=_("Key domain"),
        queryset=None,
        help_text=_("It must be in the campaign's scope."),
    )
    problem_type = forms.ModelChoiceField(label=_("Problem type"), queryset=None)
    subject_name = forms.CharField(label=_("Failing subject"), max_length=200)
    description = forms.CharField(
        label=_("Problem"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    handling_opinion = forms.CharField(
        label=_("Handling opinion"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=60)
    discovered_on = forms.DateField(label=_("Discovered on"), widget=date_widget())
    deadline = forms.DateField(
        label=_("Rectification due by"),
        required=False,
        widget=date_widget(),
        help_text=_("Empty: the campaign's completion deadline."),
    )

    def __init__(self, *args, campaigns, complaint, **kwargs):
        super().__init__(*args, **kwargs)
        from rectification.models import CampaignDomain

        self.fields["campaign"].queryset = campaigns
        in_scope = CampaignDomain.objects.filter(campaign__in=campaigns).values("domain_id")
        self.fields["domain"].queryset = KeyDomain.objects.filter(
            tenant_id=complaint.tenant_id, pk__in=in_scope
        ).order_by("position", "id")
        self.fields["problem_type"].queryset = ProblemType.objects.filter(
            tenant_id=complaint.tenant_id, is_active=True
        ).order_by("position", "id")

    def clean_discovered_on(self):
        return clean_past_date(self.cleaned_data.get("discovered_on"))

    def issue_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("campaign")
        if data.get("deadline") is None:
            data.pop("deadline", None)
        return data
