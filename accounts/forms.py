"""Forms check shape only; rules live in models' clean() and in services."""

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from .choices import AGENCY_ROLES, Role
from .models import Agency, Tenant, User


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), strip=False, widget=forms.PasswordInput
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=password_validators_help_text_html,
    )
    new_password2 = forms.CharField(
        label=_("New password again"), strip=False, widget=forms.PasswordInput
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("The current password is wrong."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords differ."))
        return data


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=password_validators_help_text_html,
    )


class TenantForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "division_code", "level", "parent", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Tenant.objects.filter(level="city")


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = [
            "name",
            "kind",
            "credit_code",
            "ranking_group",
            "leader_name",
            "contact_name",
            "contact_phone",
        ]

    def __init__(self, *args, tenant_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ranking_group"].required = False
        self.fields["ranking_group"].help_text = _(
            "Left empty: townships, sub-districts and development zones rank together, "
            "all other agencies rank as departments."
        )
        if tenant_choices is not None:
            self.fields["tenant"] = forms.ModelChoiceField(
                label=_("Jurisdiction"), queryset=tenant_choices
            )
            self.order_fields(["tenant"])


class AgencyImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


class UserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "display_name", "phone", "email", "role", "tenant", "agency"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        # API-client identities are made with their client (accounts.services.api_client_create).
        roles = [(v, label) for v, label in Role.choices if v != Role.API_CLIENT]
        if not actor.is_platform_admin:
            roles = [(v, label) for v, label in roles if v != Role.PLATFORM_ADMIN]
            del self.fields["tenant"]
        else:
            self.fields["tenant"].queryset = Tenant.objects.all()
        self.fields["role"].choices = roles
        self.fields["agency"].queryset = (
            Agency.objects.writable_by(actor).filter(is_active=True).select_related("tenant")
        )
        if actor.is_platform_admin:
            # Agencies of several counties share names (县财政局): say whose.
            self.fields["agency"].label_from_instance = lambda a: f"{a.tenant.name} · {a.name}"
        self.fields["agency"].help_text = _(
            "Required for agency clerks and leaders; leave empty for other roles."
        )
        self.agency_roles = [str(r) for r in AGENCY_ROLES]

    def _update_errors(self, errors):
        # User.clean() may name a field this form does not show (tenant, for office admins);
        # ModelForm would raise ValueError for it, so show such errors above the form.
        if hasattr(errors, "error_dict"):
            for field in [f for f in errors.error_dict if f not in self.fields]:
                if field != NON_FIELD_ERRORS:
                    errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(
                        errors.error_dict.pop(field)
                    )
        super()._update_errors(errors)


class UserCreateForm(UserForm):
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=_("The user must change it at first login."),
    )


class ApiClientForm(forms.Form):
    """An API client: what it may read and how fast. The platform admin also picks the
    jurisdiction (a city client reads the counties below it)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    tenant = forms.ModelChoiceField(
        label=_("Jurisdiction"),
        queryset=Tenant.objects.none(),
        help_text=_("A client of a city reads the city and every county below it."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Resources it may read"), widget=forms.CheckboxSelectMultiple
    )
    rate = forms.CharField(
        label=_("Request limit"),
        initial="600/min",
        max_length=20,
        help_text=_(
            "Requests per sec, min, hour or day, e.g. 600/min; beyond it the API answers 429."
        ),
    )

    def __init__(self, *args, actor, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        from integrity.api_auth import api_resources

        self.fields["scopes"].choices = [("*", _("All resources, including new ones"))] + [
            (name, f"{label} ({name})") for name, label in api_resources().items()
        ]
        if actor.is_platform_admin and not editing:
            self.fields["tenant"].queryset = Tenant.objects.filter(is_active=True)
        else:
            del self.fields["tenant"]


class SecondFactorReplaceForm(forms.Form):
    """Replacing an authenticator app: the new app's code, and a current code of the old app or
    an unused recovery code (a session alone, perhaps someone else's, is not enough)."""

    current_code = forms.CharField(
        label=_("Code from your current app, or a recovery code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )
    code = forms.CharField(
        label=_("Code from the new authenticator app"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class SecondFactorCodeForm(forms.Form):
    """A code of the authenticator app (6 digits), or at login also a recovery code."""

    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, recovery=False, autofocus=True, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        if recovery:
            field.label = _("Code from the authenticator app, or a recovery code")
            field.help_text = _(
                "Without your phone, enter one of your recovery codes (xxxx-xxxx-xxxx-xxxx); "
                "each works once."
            )
        else:
            field.widget.attrs["inputmode"] = "numeric"
        if autofocus:
            field.widget.attrs["autofocus"] = True
