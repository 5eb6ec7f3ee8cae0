"""Filter pieces shared by every list page."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _


class AllYesNoSelect(forms.NullBooleanSelect):
    """A yes/no filter whose empty choice reads "All" rather than "Unknown"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("All")), ("true", _("Yes")), ("false", _("No"))]


class YesNoField(forms.NullBooleanField):
    widget = AllYesNoSelect


class YesNoFilter(django_filters.BooleanFilter):
    field_class = YesNoField
