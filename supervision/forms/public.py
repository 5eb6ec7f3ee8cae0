"""The public complaint form (投诉举报) and the tracking form.

Forms check shape only (lengths, phone format, files); `services.complaint_submit` decides
whether the complaint is accepted."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from domains.forms.public import TrackForm, clean_phone
from domains.models import KeyDomain
from integrity.attachments import validate_upload

MAX_FILES = 5

__all__ = ["ComplaintForm", "ComplaintTrackForm", "MultipleFileField", "MAX_FILES"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked like every attachment (type by content,
    size), and at most MAX_FILES are accepted."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise ValidationError(_("At most %(n)d files.") % {"n": MAX_FILES})
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        errors = []
        for item in cleaned:
            try:
                validate_upload(item)
            except ValidationError as exc:
                errors.extend(f"{item.name}: {message}" for message in exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


def date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def clean_past_date(value):
    if value and value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."))
    return value


class ComplaintForm(forms.Form):
    """A complaint about government dishonesty, filed without an account."""

    agency = forms.ModelChoiceField(
        label=_("Agency complained about"), queryset=Agency.objects.none()
    )
    domain = forms.ModelChoiceField(
        label=_("Key domain"),
        queryset=KeyDomain.objects.none(),
        required=False,
        help_text=_("Leave empty if you are not sure."),
    )
    title = forms.CharField(label=_("Complaint subject"), max_length=200)
    content = forms.CharField(
        label=_("What happened"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Who did what, when and where; what was promised or owed (10 to 5000 characters)."
        ),
    )
    amount = forms.DecimalField(
        label=_("Amount involved (yuan)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
    )
    occurred_on = forms.DateField(
        label=_("Date of the events"), required=False, widget=date_widget()
    )
    attachments = MultipleFileField(
        label=_("Evidence (optional)"),
        help_text=_(
            "Up to %(n)d files: PDF, JPG, PNG, Word (.docx), Excel (.xlsx) or OFD, "
            "at most 20 MB each."
        )
        % {"n": MAX_FILES},
    )
    complainant_name = forms.CharField(label=_("Your name"), max_length=60)
    complainant_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=30,
        help_text=_(
            "Only the credit office sees your name and phone; they are never shown to "
            "the agency or published."
        ),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(
            tenant=tenant, is_active=True
        ).order_by("name")
        self.fields["domain"].queryset = KeyDomain.objects.filter(
            tenant=tenant, is_active=True
        ).order_by("position", "id")

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def clean_complainant_name(self) -> str:
        return " ".join(self.cleaned_data["complainant_name"].split())

    def clean_complainant_phone(self) -> str:
        return clean_phone(self.cleaned_data["complainant_phone"])

    def clean_occurred_on(self):
        return clean_past_date(self.cleaned_data.get("occurred_on"))

    def complaint_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("attachments", None)
        return data


class ComplaintTrackForm(TrackForm):
    """The receipt code, sent in a POST body only."""
