"""Forms of the objection flow: an agency objects to its published score (the whole score or
one item), the office answers. Shape only: who may object to what, and when, is
`scoring.services`' business (objection_raise, objection_decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Indicator


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Indicator) -> str:
        return f"{obj.parent.name} › {obj.name}"


class ObjectionForm(forms.Form):
    indicator = ItemChoiceField(
        label=_("Objection to"),
        queryset=Indicator.objects.none(),
        required=False,
        empty_label=_("The whole score"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The facts you think were scored wrongly, and where the evidence is."),
    )

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = (
            Indicator.objects.filter(scheme=scheme, parent__isnull=False)
            .select_related("parent")
            .order_by("parent__position", "parent_id", "position", "id")
        )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("uphold", _("Uphold")), ("reject", _("Reject"))],
    )
    answer = forms.CharField(
        label=_("Answer to the agency"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Upheld: say how the score will be corrected (manual entry, new run, republishing)."
        ),
    )
