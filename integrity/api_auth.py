"""Machine clients of the API: the `Api-Key` authentication, the scope permission and the
per-client throttle. Kept out of integrity.api because DRF imports the default authentication,
permission and throttle classes while its own views module is loading."""

import functools
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import BaseThrottle


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>` → the client's identity (a user of role API_CLIENT) as
    request.user, the client itself as request.auth. Listed first, so that a request without
    credentials gets 401 with `WWW-Authenticate: Api-Key`."""

    keyword = "Api-Key"

    def authenticate(self, request):
        try:
            header = get_authorization_header(request).split()
        except UnicodeEncodeError:  # only a test client can send such a header
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key.")) from None
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the key as: Authorization: Api-Key <key>.")
            )
        from accounts import services

        try:
            key = header[1].decode("ascii")
            client = services.api_client_authenticate(key=key, request=request._request)
        except services.ApiKeyThrottled:
            raise exceptions.Throttled(wait=services.API_REFUSED_EVENT_SECONDS) from None
        except (UnicodeDecodeError, services.ApiKeyRefused):
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key.")) from None
        return client.user, client

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


def api_client_of(request):
    from accounts.models import ApiClient

    return request.auth if isinstance(request.auth, ApiClient) else None


class ApiClientScope(BasePermission):
    """A machine client reads only the resources its scopes name, and never writes."""

    message = _("This API key is not allowed to read this resource.")

    def has_permission(self, request, view) -> bool:
        client = api_client_of(request)
        if client is None:
            return True
        if request.method not in SAFE_METHODS:
            return False
        basename = getattr(view, "basename", None)
        if basename is None:  # the schema
            return True
        return "*" in client.scopes or basename in client.scopes


class ApiClientRateThrottle(BaseThrottle):
    """Each machine client has its own limit (ApiClient.rate), counted in the cache in fixed
    windows (the minute of "600/min", aligned to the clock): one INCR and EXPIRE in one round
    trip and a small integer per client and window, where DRF's SimpleRateThrottle reads and
    rewrites the list of every request's time. The price: a client may send up to twice its
    rate across the end of a window. A refused request waits until the window ends."""

    def allow_request(self, request, view) -> bool:
        client = api_client_of(request)
        if client is None:
            return True
        limit, seconds = parse_rate(client.rate)
        now = time.time()
        window = int(now // seconds)
        self.wait_seconds = (window + 1) * seconds - now
        return _count(f"throttle:api-client:{client.pk}:{seconds}:{window}", seconds) <= limit

    def wait(self) -> float:
        return self.wait_seconds


@functools.cache
def parse_rate(rate: str) -> tuple[int, int]:
    """The rate as DRF reads it: "600/min" → (600, 60)."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def _count(name: str, seconds: int) -> int:
    """Add one to the counter `name` of a window of `seconds`, and return it."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(name)
        # Django's cache has no INCR that creates the key, nor a pipeline: its Redis client does.
        # MULTI/EXEC: the counter never lives on without its expiry.
        pipe = backend._cache.get_client(key, write=True).pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, seconds + 1)
        return pipe.execute()[0]
    backend.add(name, 0, seconds + 1)  # the in-process cache of `make run` without Redis
    return backend.incr(name)


@functools.cache
def api_resources() -> dict[str, str]:
    """basename → plural name of every scoped collection under /api/v1/ that the API-client role
    may read: what an API client's scopes choose from."""
    from django.urls import get_resolver

    from .api import ScopedViewSetMixin
    from .permissions import AK, MATRIX

    found = {}

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns)
                continue
            view = pattern.callback
            cls = getattr(view, "cls", None)
            actions = getattr(view, "actions", None) or {}
            readable = AK in MATRIX.get(getattr(cls, "permission_read", None) or "", ())
            if cls and issubclass(cls, ScopedViewSetMixin) and actions.get("get") == "list":
                if not readable:  # e.g. users, webhooks: never for a machine client
                    continue
                basename = view.initkwargs.get("basename")
                found[basename] = cls.queryset.model._meta.verbose_name_plural

    walk(get_resolver().url_patterns)
    return dict(sorted(found.items()))
