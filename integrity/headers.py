"""Response headers Django has no setting for."""

from django.conf import settings


def permissions_policy(features: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` → `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in features.items())


class PermissionsPolicyMiddleware:
    """Sends `Permissions-Policy` built from `settings.PERMISSIONS_POLICY` on every response
    (a view that sets its own keeps it), so a page, or a script injected into one, cannot turn on
    the camera, the microphone, geolocation or payment without a code change here."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = permissions_policy(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.value and "Permissions-Policy" not in response.headers:
            response.headers["Permissions-Policy"] = self.value
        return response
