from django.conf import settings


def client_ip(request) -> str | None:
    """The real client address.

    X-Forwarded-For is read only when TRUSTED_PROXY_COUNT proxies are configured, and then only
    the entry our own outermost proxy appended: anything a client wrote there itself is ignored,
    so a spoofed header cannot change the address used for login throttling.
    """
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= trusted:
            return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR") or None
