"""The endpoint form. Whether an address may receive webhooks, and who may allow intranet
addresses, is `webhooks.services`' business; the form only shows the platform admin the fields
only it may set (the jurisdiction of a new endpoint, intranet addresses)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import Tenant

from .choices import EventType


class EndpointForm(forms.Form):
    tenant = forms.ModelChoiceField(label=_("Jurisdiction"), queryset=Tenant.objects.none())
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("For example: the city credit platform's receiver."),
    )
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the events are POSTed (https recommended). Redirects are not followed."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    include_subtenants = forms.BooleanField(
        label=_("Include the counties below"),
        required=False,
        help_text=_("For a city's endpoint: also receive the events of every county below it."),
    )
    allow_private = forms.BooleanField(
        label=_("Allow intranet addresses"),
        required=False,
        help_text=_(
            "For an intranet deployment only: lets the endpoint use loopback and private addresses."
        ),
    )

    def __init__(self, *args, user, endpoint=None, **kwargs):
        if endpoint is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": endpoint.name,
                    "url": endpoint.url,
                    "event_types": endpoint.event_types,
                    "active": endpoint.active,
                    "include_subtenants": endpoint.include_subtenants,
                    "allow_private": endpoint.allow_private,
                },
            )
        super().__init__(*args, **kwargs)
        platform_admin = user.role == Role.PLATFORM_ADMIN
        if endpoint is not None or not platform_admin:
            del self.fields["tenant"]
        else:
            self.fields["tenant"].queryset = Tenant.objects.filter(is_active=True)
        if not platform_admin:
            del self.fields["allow_private"]
        tenant = endpoint.tenant if endpoint is not None else user.tenant
        if tenant is not None and tenant.parent_id is not None:
            del self.fields["include_subtenants"]

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "tenant"}
