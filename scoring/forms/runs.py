"""Forms of the run pages: publishing with the ranking notice, withdrawing with a public reason.
Whether a run may be published or a publication withdrawn is `scoring.services`' business."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PublishForm(forms.Form):
    notice = forms.CharField(
        label=_("Ranking notice (通报)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Published with the rankings on the public credit page and printed with them."),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Public reason for the withdrawal"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the public credit page in place of the rankings."),
    )
