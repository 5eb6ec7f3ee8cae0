import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The real client address.

    X-Forwarded-For is read only when TRUSTED_PROXY_COUNT proxies are configured, and then only
    the entry our own outermost proxy appended: anything a client wrote there itself is ignored,
    so a spoofed header cannot change the address used for login throttling. An entry that is
    not an IP address (a misconfigured proxy, or a client reaching the app directly) is ignored
    too: it would not fit the inet columns the address is stored in.
    """
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= trusted and _is_ip(forwarded[-trusted]):
            return forwarded[-trusted]
    remote = request.META.get("REMOTE_ADDR")
    return remote if _is_ip(remote) else None


def _is_ip(value: str | None) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
