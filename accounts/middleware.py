from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse


def _api_refusal(code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=403)


class SecondFactorMiddleware:
    """A user who needs a second factor (`User.second_factor_needed`) and whose session is not
    verified yet (django-otp's OTPMiddleware, installed before this one) reaches only the
    verification page, or the enrolment page when no authenticator app is set up, and logging
    out; every other page (the Django admin included) sends them there, the API answers 403.
    Public pages and API keys have no session user and are not concerned."""

    OPEN_PREFIXES = ("/static/", "/public/", "/api/v1/public/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.second_factor_needed
            and not user.is_verified()
            and not self._open(request.path)
        ):
            if request.path.startswith("/api/"):
                return _api_refusal("second_factor_required", "Second factor required.")
            target = "accounts:otp-verify" if user.two_factor_enabled else "accounts:otp-enrol"
            url = reverse(target)
            if request.method == "GET":
                url += "?" + urlencode({"next": request.get_full_path()})
            return redirect(url)
        return self.get_response(request)

    def _open(self, path: str) -> bool:
        if path.startswith(self.OPEN_PREFIXES):
            return True
        return path in {
            reverse("accounts:otp-verify"),
            reverse("accounts:otp-enrol"),
            reverse("accounts:login"),
            reverse("accounts:logout"),
            reverse("healthz"),
        }


class PasswordChangeRequiredMiddleware:
    """Users created or reset by an administrator change their password before anything else
    but the second factor (SecondFactorMiddleware comes first: the password is changed in a
    verified session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {
                reverse("accounts:password-change"),
                reverse("accounts:logout"),
                reverse("accounts:otp-verify"),
                reverse("accounts:otp-enrol"),
            }
            if request.path not in allowed and not request.path.startswith("/static/"):
                if request.path.startswith("/api/"):
                    return _api_refusal("password_change_required", "Password change required.")
                return redirect("accounts:password-change")
        return self.get_response(request)
