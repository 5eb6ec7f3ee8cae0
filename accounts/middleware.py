from django.shortcuts import redirect
from django.urls import reverse


class PasswordChangeRequiredMiddleware:
    """Users created or reset by an administrator change their password before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse("accounts:password-change"), reverse("accounts:logout")}
            if request.path not in allowed and not request.path.startswith("/static/"):
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse(
                        {
                            "error": {
                                "code": "password_change_required",
                                "message": "Password change required.",
                            }
                        },
                        status=403,
                    )
                return redirect("accounts:password-change")
        return self.get_response(request)
