"""Pages of the second factor: the code at login, setting up the authenticator app, the section
of the account page, and the administrators' reset. The rules are in accounts.two_factor."""

from urllib.parse import quote, urlencode

import django_otp
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters

from integrity.permissions import PermissionRequiredMixin
from integrity.tenancy import get_scoped_object_or_404

from . import two_factor
from .choices import Role
from .forms import SecondFactorCodeForm, SecondFactorReplaceForm
from .models import RecoveryCodeDevice, User

# The secret of an app being set up waits in the (server-side) session until a code confirms it.
ENROL_SESSION_KEY = "otp_enrol_key"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return reverse("home")
    return target


def second_factor_url(user, target: str) -> str:
    """Where a user who has just given the right password goes next: the code, or setting up
    the app when a second factor is required and none is set up yet."""
    name = "accounts:otp-verify" if user.two_factor_enabled else "accounts:otp-enrol"
    return reverse(name) + "?" + urlencode({"next": target})


def _locked_out(request, exc: two_factor.AccountLocked):
    """Wrong codes locked the account: the half-signed-in session ends with the password's."""
    logout(request)
    messages.error(request, str(exc))
    return redirect("accounts:login")


def _recovery_codes_page(request, codes: list[str], next_url: str):
    """The new recovery codes, shown this once: in the POST response itself (never stored in
    clear, never in a redirect or the session), not cached, and offered as a .txt download."""
    text = "\n".join(
        [_("Recovery codes of %(user)s") % {"user": request.user.get_username()}, "", *codes, ""]
    )
    response = render(
        request,
        "accounts/two_factor_recovery_codes.html",
        {
            "codes": codes,
            "next_url": next_url,
            "download_href": "data:text/plain;charset=utf-8," + quote(text),
            "download_name": f"recovery-codes-{request.user.get_username()}.txt",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@method_decorator(sensitive_post_parameters("code"), name="dispatch")
class SecondFactorVerifyView(LoginRequiredMixin, View):
    """The second step of the login: a code of the app or a recovery code."""

    template_name = "accounts/two_factor_verify.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated:
            if user.is_verified() or not user.second_factor_needed:
                return HttpResponseRedirect(_next_url(request))
            if not user.two_factor_enabled:
                return HttpResponseRedirect(second_factor_url(user, _next_url(request)))
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form, status=200):
        context = {"form": form, "next_url": _next_url(request), "second_factor_pending": True}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, SecondFactorCodeForm(recovery=True))

    def post(self, request):
        form = SecondFactorCodeForm(request.POST, recovery=True)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            device = two_factor.otp_verify(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        except two_factor.AccountLocked as exc:
            return _locked_out(request, exc)
        except two_factor.CodeRefused as exc:
            form.add_error("code", str(exc))
            return self._render(request, form, status=400)
        django_otp.login(request, device)
        if isinstance(device, RecoveryCodeDevice):
            left = device.codes.count()
            messages.warning(
                request,
                _(
                    "You signed in with a recovery code; %(n)d are left. Set up your "
                    "authenticator app again or make new codes on your account page."
                )
                % {"n": left},
            )
        return HttpResponseRedirect(_next_url(request))


@method_decorator(sensitive_post_parameters("code"), name="dispatch")
class SecondFactorEnrolView(LoginRequiredMixin, View):
    """Set up the authenticator app: a QR code and the secret in text, confirmed with a code;
    then the recovery codes, once. Replacing an app needs a verified session."""

    template_name = "accounts/two_factor_enrol.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated:
            if user.role == Role.API_CLIENT:
                raise PermissionDenied
            if user.two_factor_enabled and not user.is_verified():
                # Whoever knows only the password cannot swap in an app of their own.
                return HttpResponseRedirect(
                    reverse("accounts:otp-verify")
                    + "?"
                    + urlencode({"next": request.get_full_path()})
                )
        return super().dispatch(request, *args, **kwargs)

    def _key(self, request) -> str:
        key = request.session.get(ENROL_SESSION_KEY)
        if not key:
            key = request.session[ENROL_SESSION_KEY] = two_factor.new_secret()
        return key

    def _render(self, request, form, status=200):
        key = self._key(request)
        context = {
            "form": form,
            "secret": two_factor.secret_for_display(key),
            "qr_svg": two_factor.qr_svg(two_factor.provisioning_uri(request.user, key)),
            "replacing": request.user.two_factor_enabled,
            "next_url": _next_url(request),
            # Before the app is confirmed the menu would only lead back here.
            "second_factor_pending": (
                request.user.second_factor_needed and not request.user.is_verified()
            ),
        }
        response = render(request, self.template_name, context, status=status)
        response["Cache-Control"] = "no-store"
        return response

    def _form(self, request, data=None):
        if request.user.two_factor_enabled:
            return SecondFactorReplaceForm(data)
        return SecondFactorCodeForm(data)

    def get(self, request):
        return self._render(request, self._form(request))

    def post(self, request):
        form = self._form(request, request.POST)
        key = request.session.get(ENROL_SESSION_KEY)
        if key is None:
            form.is_valid()
            form.add_error(None, _("The set-up expired: scan the new QR code."))
            return self._render(request, form, status=400)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            device, codes = two_factor.otp_enrol(
                user=request.user,
                key=key,
                code=form.cleaned_data["code"],
                current_code=form.cleaned_data.get("current_code", ""),
                request=request,
            )
        except two_factor.AccountLocked as exc:
            return _locked_out(request, exc)
        except (two_factor.CodeRefused, ValidationError) as exc:
            form.add_error("code", exc.messages if isinstance(exc, ValidationError) else str(exc))
            return self._render(request, form, status=400)
        del request.session[ENROL_SESSION_KEY]
        django_otp.login(request, device)
        return _recovery_codes_page(request, codes, _next_url(request))


class AccountView(LoginRequiredMixin, View):
    """The user's own account: who they are, the password, and the second factor."""

    template_name = "accounts/account.html"

    def get(self, request):
        context = {
            "status": two_factor.second_factor_status(request.user),
            "regenerate_form": SecondFactorCodeForm(prefix="regenerate", autofocus=False),
            "remove_form": SecondFactorCodeForm(prefix="remove", autofocus=False),
        }
        return render(request, self.template_name, context)


@method_decorator(sensitive_post_parameters("regenerate-code"), name="dispatch")
class RecoveryCodesView(LoginRequiredMixin, View):
    """POST with a current code of the app: ten new recovery codes, the old ones stop."""

    def post(self, request):
        form = SecondFactorCodeForm(request.POST, prefix="regenerate")
        if not form.is_valid():
            messages.error(request, _("Enter the current code of your authenticator app."))
            return redirect("accounts:account")
        try:
            codes = two_factor.otp_recovery_codes_regenerate(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        except two_factor.AccountLocked as exc:
            return _locked_out(request, exc)
        except two_factor.CodeRefused as exc:
            messages.error(request, str(exc))
            return redirect("accounts:account")
        return _recovery_codes_page(request, codes, reverse("accounts:account"))


@method_decorator(sensitive_post_parameters("remove-code"), name="dispatch")
class SecondFactorRemoveView(LoginRequiredMixin, View):
    """POST with a current code of the app: remove the second factor (not while required)."""

    def post(self, request):
        form = SecondFactorCodeForm(request.POST, prefix="remove")
        if not form.is_valid():
            messages.error(request, _("Enter the current code of your authenticator app."))
            return redirect("accounts:account")
        try:
            two_factor.otp_remove(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        except two_factor.AccountLocked as exc:
            return _locked_out(request, exc)
        except (two_factor.CodeRefused, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("The second factor was removed."))
        return redirect("accounts:account")


class UserSecondFactorResetView(PermissionRequiredMixin, View):
    """An office admin resets the second factor of a user of their county, the platform admin
    anyone's (a lost phone without recovery codes)."""

    permission = "user.manage"
    template_name = "accounts/user_reset_second_factor.html"

    def _target(self, request, pk) -> User:
        return get_scoped_object_or_404(User.objects.people().writable_by(request.user), pk=pk)

    def get(self, request, pk):
        return render(request, self.template_name, {"object": self._target(request, pk)})

    def post(self, request, pk):
        target = self._target(request, pk)
        try:
            two_factor.otp_reset(user=target, actor=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:user-list")
        messages.success(
            request,
            _(
                "The second factor of %(user)s was reset; their sessions ended and they set up "
                "the authenticator app again at the next login."
            )
            % {"user": target.get_username()},
        )
        return redirect("accounts:user-list")
