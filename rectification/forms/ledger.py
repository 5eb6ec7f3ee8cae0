"""Forms and the filter set of the issue ledger pages.

Forms check shape only; the rules (campaign running, closing by the office only, repayments
within the amount owed, the domain's extra fields) are in `rectification.services`."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Tenant
from domains.choices import FieldType
from domains.models import DomainField, KeyDomain, ProblemType
from integrity.filters import YesNoFilter
from supervision.forms.public import MultipleFileField, clean_past_date, date_widget

from .. import selectors
from ..choices import AGENCY_ISSUE_STATUSES, IssueSource, IssueStatus
from ..models import LedgerIssue, Repayment
from ..services import ISSUE_FIELDS


class IssueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=60)
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=None)
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.none())
    domain = django_filters.ModelChoiceFilter(
        label=_("Key domain"), queryset=KeyDomain.objects.none()
    )
    problem_type = django_filters.ModelChoiceFilter(
        label=_("Problem type"), queryset=ProblemType.objects.none()
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=IssueStatus.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=IssueSource.choices)
    overdue = YesNoFilter(label=_("Overdue"), method="filter_overdue")
    arrears = YesNoFilter(label=_("Arrears"), method="filter_arrears")
    outstanding = YesNoFilter(label=_("Arrears outstanding"), method="filter_outstanding")
    deadline_from = django_filters.DateFilter(
        label=_("Due from"), field_name="deadline", lookup_expr="gte", widget=date_widget()
    )
    deadline_to = django_filters.DateFilter(
        label=_("Due to"), field_name="deadline", lookup_expr="lte", widget=date_widget()
    )

    class Meta:
        model = LedgerIssue
        fields = [
            "q",
            "tenant",
            "campaign",
            "agency",
            "domain",
            "problem_type",
            "status",
            "source",
            "overdue",
            "arrears",
            "outstanding",
            "deadline_from",
            "deadline_to",
        ]

    def __init__(self, *args, user, tenant_ids, **kwargs):
        super().__init__(*args, **kwargs)
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
        self.filters["campaign"].queryset = selectors.campaigns_for_user(user)
        self.filters["domain"].queryset = KeyDomain.objects.for_user(user)
        self.filters["problem_type"].queryset = ProblemType.objects.for_user(user)
        self.filters["q"].field.widget.attrs["placeholder"] = _(
            "Failing subject or responsible person"
        )

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(subject_name__icontains=value) | Q(responsible_person__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(is_overdue=value)

    def filter_arrears(self, queryset, name, value):
        return queryset.filter(amount_owed__isnull=not value)

    def filter_outstanding(self, queryset, name, value):
        unpaid = Q(amount_owed__gt=F("amount_repaid"))
        return queryset.filter(unpaid) if value else queryset.exclude(unpaid)


class CampaignChoiceForm(forms.Form):
    """Which campaign a new issue or an import is for (the agency's running campaigns)."""

    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None)

    def __init__(self, *args, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns


def extra_field_name(domain_field: DomainField) -> str:
    return f"x{domain_field.domain_id}_{domain_field.key}"


def _extra_form_field(domain_field: DomainField) -> forms.Field:
    common = {"label": domain_field.label, "required": False, "help_text": domain_field.help_text}
    match domain_field.field_type:
        case FieldType.NUMBER:
            return forms.DecimalField(**common)
        case FieldType.MONEY:
            return forms.DecimalField(min_value=0, decimal_places=2, **common)
        case FieldType.DATE:
            return forms.DateField(widget=date_widget(), **common)
        case FieldType.CHOICE:
            choices = [("", "---------"), *((c, c) for c in domain_field.choices)]
            return forms.ChoiceField(choices=choices, **common)
        case FieldType.CREDIT_CODE:
            return forms.CharField(max_length=30, **common)
        case _:
            return forms.CharField(max_length=500, **common)


class IssueForm(forms.ModelForm):
    """A ledger issue with its arrears and the extra fields of the campaign's key domains (the
    fields of the chosen domain are saved; the service checks them)."""

    ARREARS_FIELDS = (
        "creditor_name",
        "creditor_credit_code",
        "creditor_is_sme",
        "contract",
        "accepted_on",
        "payment_term_days",
        "amount_owed",
        "daily_interest_rate",
    )

    class Meta:
        model = LedgerIssue
        # The service's fields; the domain's extra fields are rendered separately.
        fields = [f for f in ISSUE_FIELDS if f != "extra"]
        widgets = {
            "discovered_on": date_widget(),
            "deadline": date_widget(),
            "accepted_on": date_widget(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "cause": forms.Textarea(attrs={"rows": 2}),
            "handling_opinion": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, campaign, domains, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        issue = self.instance
        self.fields["domain"].queryset = KeyDomain.objects.filter(pk__in=[d.pk for d in domains])
        types = Q(tenant_id=campaign.tenant_id, is_active=True)
        if issue.problem_type_id:
            types |= Q(pk=issue.problem_type_id)
        self.fields["problem_type"].queryset = ProblemType.objects.filter(types)
        labels = dict(IssueStatus.choices)
        self.fields["status"].choices = [(s, labels[s]) for s in AGENCY_ISSUE_STATUSES]
        self.fields["deadline"].required = False
        self.fields["deadline"].help_text = _(
            "Empty: the campaign's completion deadline (%(date)s)."
        ) % {"date": campaign.completion_deadline.isoformat()}
        self.fields["payment_term_days"].help_text = _(
            "30 days from acceptance by law; at most 60 when the contract says so."
        )
        self.fields["daily_interest_rate"].help_text = _("0.0005 is 0.05 % a day.")
        if not issue.pk:
            self.fields["discovered_on"].initial = timezone.localdate()
        fields = DomainField.objects.filter(domain__in=domains).order_by("position", "id")
        by_domain: dict[int, list[DomainField]] = {d.pk: [] for d in domains}
        for domain_field in fields:
            by_domain[domain_field.domain_id].append(domain_field)
        self.domain_fields = by_domain
        self.extra_groups = []
        for domain in domains:
            group = []
            for domain_field in by_domain[domain.pk]:
                name = extra_field_name(domain_field)
                self.fields[name] = _extra_form_field(domain_field)
                if issue.pk and issue.domain_id == domain.pk:
                    self.initial[name] = (issue.extra or {}).get(domain_field.key)
                group.append((name, domain_field))
            if group:
                self.extra_groups.append((domain, group))

    def fixed_groups(self):
        main = [self[name] for name in self.Meta.fields if name not in self.ARREARS_FIELDS]
        return main, [self[name] for name in self.ARREARS_FIELDS]

    def extra_bound(self):
        return [
            (domain, [(self[name], domain_field) for name, domain_field in group])
            for domain, group in self.extra_groups
        ]

    def service_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        if data["deadline"] is None:
            data["deadline"] = self.campaign.completion_deadline
        for key in ("subject_credit_code", "creditor_credit_code"):
            data[key] = data[key] or ""
        domain = data["domain"]
        data["extra"] = {
            domain_field.key: self.cleaned_data.get(extra_field_name(domain_field))
            for domain_field in self.domain_fields.get(domain.pk, [])
        }
        return data

    def extra_error_field(self, key: str) -> str | None:
        domain = self.cleaned_data.get("domain")
        for domain_field in self.domain_fields.get(domain.pk if domain else None, []):
            if domain_field.key == key:
                return extra_field_name(domain_field)
        return None


class RepaymentForm(forms.ModelForm):
    class Meta:
        model = Repayment
        fields = ["paid_on", "amount", "note"]
        widgets = {"paid_on": date_widget()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="repayment", **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()

    def clean_paid_on(self):
        return clean_past_date(self.cleaned_data["paid_on"])

    def _post_clean(self):
        pass  # the service checks the repayment against the issue


class AttachForm(forms.Form):
    files = MultipleFileField(label=_("Evidence files"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="attach", **kwargs)
        self.fields["files"].required = True

    def clean_files(self):
        files = self.cleaned_data["files"]
        if not files:
            raise forms.ValidationError(_("Choose at least one file."))
        return files


class RectifiedForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    rectified_on = forms.DateField(
        label=_("Rectified on"), widget=date_widget(), validators=[clean_past_date]
    )
    files = MultipleFileField(label=_("Evidence files"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="rectified", **kwargs)
        self.fields["rectified_on"].initial = timezone.localdate()


class VerifyForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("close", _("Verified: close the issue (销号)")),
            ("send_back", _("Send back to the agency")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("Required when the issue is sent back."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="verify", **kwargs)
