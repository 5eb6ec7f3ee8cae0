"""The second factor (双因素认证; 等保2.0 level 3 asks two factors of administrators): services and
reads.

A user proves the second factor with an authenticator app (TOTP, codes checked by django-otp's
oath module, `TotpDevice`) or, once per code, with one of ten recovery codes
(`RecoveryCodeDevice`). `User.second_factor_required` says who must have one (OTP_REQUIRED and
OTP_REQUIRED_ROLES), `User.second_factor_needed` who is asked for a code at login (also everyone
who enrolled voluntarily). A verified session is django-otp's (`django_otp.login`,
`request.user.is_verified()`); `accounts.middleware.SecondFactorMiddleware` keeps unverified
sessions on the verification and enrolment pages.

A wrong code at login counts toward the account lockout exactly like a wrong password (a failed
login, `accounts.services._login_failed`), and a correct password no longer clears that count
while the code is still to come: only a complete login does.
"""

from __future__ import annotations

import base64
import re
import secrets
from importlib import import_module
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device

from integrity import rls
from integrity.net import client_ip

from . import services
from .choices import Outcome, Role, SecurityEventKind
from .models import RecoveryCode, RecoveryCodeDevice, TotpDevice, User, recovery_code_digest

RECOVERY_CODE_COUNT = 10
# 16 characters from 31 that cannot be mistaken for each other (no 0/o, 1/l/i): 79 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SECRET_BYTES = 20


class CodeRefused(Exception):
    """A code that was wrong, already used, or not asked for; the message is for the user."""


class AccountLocked(CodeRefused):
    """The failed code locked the account (or it was locked already): the session must end."""


# Reads ---------------------------------------------------------------------------------------


def totp_device(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed=True).first()


def second_factor_status(user: User) -> dict:
    """What the account page shows: the app (since, last used) and the unused recovery codes."""
    device = totp_device(user)
    recovery = RecoveryCodeDevice.objects.filter(user=user).first()
    return {
        "device": device,
        "recovery_codes_left": recovery.codes.count() if recovery else 0,
        "required": user.second_factor_required,
    }


def new_secret() -> str:
    """A new TOTP secret (hex, as TotpDevice keeps it)."""
    return secrets.token_hex(SECRET_BYTES)


def secret_for_display(key: str) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    text = base64.b32encode(bytes.fromhex(key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def provisioning_uri(user: User, key: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    issuer = _("Government integrity platform")
    label = quote(f"{issuer}:{user.get_username()}")
    params = urlencode(
        {
            "secret": base64.b32encode(bytes.fromhex(key)).decode().rstrip("="),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": TotpDevice.DIGITS,
            "period": TotpDevice.STEP,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{params}"


def qr_svg(text: str) -> str:
    """`text` as a QR code in an inline <svg> element (no image library, no request)."""
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=8,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg") :]
    # As wide as its box (the viewBox keeps the proportions), read as one image.
    return re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg width="100%" role="img"', svg)


# Writes --------------------------------------------------------------------------------------


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; returns them in clear, this once."""
    device, _created = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "recovery codes"}
    )
    device.codes.all().delete()
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _j in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=recovery_code_digest(code)) for code in codes
    )
    return codes


def _code_failed(*, request, user: User, action: str) -> None:
    """A wrong code: a failed login (security event, lockout count). Raises AccountLocked when
    this failure locked the account, CodeRefused otherwise."""
    services._login_failed(
        request=request, username=user.get_username(), account=user, reason=action
    )
    user.refresh_from_db(fields=["locked_until", "failed_login_count"])
    if user.is_locked:
        raise AccountLocked(services._locked_message(user))
    raise CodeRefused(_("The code is wrong or was already used."))


@rls.system()  # the security log is the platform's (accounts.services.security_event_record)
def _refuse_if_locked(*, request, user: User) -> None:
    user.refresh_from_db(fields=["locked_until"])
    if user.is_locked:
        raise AccountLocked(services._locked_message(user))
    if services._address_blocked(client_ip(request) if request is not None else None):
        services.security_event_record(
            kind=SecurityEventKind.ADDRESS_BLOCKED,
            outcome=Outcome.FAILURE,
            request=request,
            user=user,
        )
        raise CodeRefused(_("Too many failed logins from this address. Try again in 15 minutes."))


def otp_enrol(
    *, user: User, key: str, code: str, current_code: str = "", request=None
) -> tuple[TotpDevice, list[str]]:
    """Set up the authenticator app whose secret is `key` (shown to the user, kept in the
    session until now), once `code` proves the app has it. Replaces an earlier app and the
    recovery codes, which takes `current_code`: a code of the earlier app or an unused recovery
    code (a wrong one counts like one at login). Returns the device and the new recovery codes
    (shown once). A wrong new code is a typing error, not a guess: refused without counting."""
    if user.role == Role.API_CLIENT:
        raise ValidationError(_("An API client does not sign in."))
    if user.two_factor_enabled:
        _check_current_code(
            user=user, code=current_code, request=request, action="replace_app", recovery=True
        )
    device = TotpDevice(user=user, key=key, name="authenticator", confirmed=True)
    if not device.check_token(code):
        raise CodeRefused(_("The code does not match. Check the phone's time and try again."))
    with transaction.atomic():
        replaced = TotpDevice.objects.filter(user=user).delete()[0] > 0
        device.save()
        codes = _new_recovery_codes(user)
        user.two_factor_enabled = True
        user.save(update_fields=["two_factor_enabled", "updated_at"])
        services.security_event_record(
            kind=SecurityEventKind.OTP_ENROLLED, request=request, user=user, replaced=replaced
        )
    return device, codes


@rls.system()  # part of signing in, like the password step (accounts.services.login_attempt)
def otp_verify(*, user: User, code: str, request=None) -> Device:
    """The device that accepts `code` (a code of the app or an unused recovery code), which the
    caller passes to `django_otp.login`. A success clears the failed-login count."""
    _refuse_if_locked(request=request, user=user)
    normal = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        if normal.isdigit():
            devices = TotpDevice.objects.filter(user=user, confirmed=True)
            method = "app"
        else:
            devices = RecoveryCodeDevice.objects.filter(user=user, confirmed=True)
            method = "recovery_code"
        device = devices.select_for_update().first()
        if device is None or not device.verify_token(normal):
            device = None
    if device is None:
        _code_failed(request=request, user=user, action="second_factor")
    User.objects.filter(pk=user.pk).update(failed_login_count=0)
    user.failed_login_count = 0
    detail = {"method": method}
    if method == "recovery_code":
        detail["recovery_codes_left"] = device.codes.count()
    services.security_event_record(
        kind=SecurityEventKind.OTP_VERIFIED, request=request, user=user, **detail
    )
    return device


def _check_current_code(
    *, user: User, code: str, request, action: str, recovery: bool = False
) -> None:
    """Changes to the second factor need a current code of the app (a recovery code is for
    signing in without the phone, and for replacing a lost phone's app: `recovery`); a wrong
    one counts like one at login."""
    _refuse_if_locked(request=request, user=user)
    normal = (code or "").strip().replace(" ", "")
    model = RecoveryCodeDevice if recovery and not normal.isdigit() else TotpDevice
    with transaction.atomic():
        device = model.objects.filter(user=user).select_for_update().first()
        if device is None and model is TotpDevice:
            raise CodeRefused(_("No authenticator app is set up."))
        accepted = device is not None and device.verify_token(normal)
    if not accepted:
        _code_failed(request=request, user=user, action=action)


def otp_recovery_codes_regenerate(*, user: User, code: str, request=None) -> list[str]:
    """Ten new recovery codes in place of the old ones (all of which stop working)."""
    _check_current_code(user=user, code=code, request=request, action="recovery_codes")
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        services.security_event_record(
            kind=SecurityEventKind.OTP_RECOVERY_CODES, request=request, user=user
        )
    return codes


def _remove_devices(user: User, *, new_password: bool = False) -> bool:
    removed = TotpDevice.objects.filter(user=user).delete()[0]
    removed += RecoveryCodeDevice.objects.filter(user=user).delete()[0]
    was_enabled = user.two_factor_enabled
    fields = []
    if was_enabled:
        user.two_factor_enabled = False
        fields.append("two_factor_enabled")
    if new_password and not user.must_change_password:
        user.must_change_password = True
        fields.append("must_change_password")
    if fields:
        user.save(update_fields=[*fields, "updated_at"])
    return bool(removed) or was_enabled


def otp_remove(*, user: User, code: str, request=None) -> None:
    """The user removes their own second factor; not while it is required of them."""
    if user.second_factor_required:
        raise ValidationError(_("Your role requires a second factor: it cannot be removed."))
    _check_current_code(user=user, code=code, request=request, action="remove_second_factor")
    with transaction.atomic():
        _remove_devices(user)
        services.security_event_record(
            kind=SecurityEventKind.OTP_REMOVED, request=request, user=user
        )


@transaction.atomic
def otp_reset(*, user: User, actor: User, request=None) -> None:
    """An administrator resets another user's second factor (a lost phone without recovery
    codes): the app and the codes are removed, every session of the user ends, the user is told,
    and sets up a new app at the next login when a second factor is required of them. The
    caller has found `user` among those `actor` may change (`User.objects.writable_by`)."""
    if user.pk == actor.pk:
        raise ValidationError(
            _("You cannot reset your own second factor; another administrator can.")
        )
    if user.role in (Role.OFFICE_ADMIN, Role.PLATFORM_ADMIN) and actor.role != Role.PLATFORM_ADMIN:
        # With a peer's password reset too, an office admin could otherwise become that peer.
        raise ValidationError(
            _("Only a platform administrator resets the second factor of an administrator.")
        )
    # Whoever knows the password would enrol the next app: the password must change too.
    _remove_devices(user, new_password=True)
    ended = sessions_end(user)
    services.security_event_record(
        kind=SecurityEventKind.OTP_RESET,
        request=request,
        user=actor,
        tenant=user.tenant or actor.tenant,
        target=user.get_username(),
        sessions_ended=ended,
    )
    title = _("Your second factor was reset")
    body = _(
        "An administrator (%(actor)s) reset the second factor of your account on %(when)s: "
        "the authenticator app and the recovery codes no longer work, and you were signed out. "
        "At your next login you will set up your authenticator app again."
    ) % {"actor": actor, "when": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    if user.tenant_id:
        services.notify([user], title=title, body=body)
    elif user.email:
        # Platform administrators have no jurisdiction for in-app notifications: mail them.
        address = user.email
        transaction.on_commit(lambda: services._mail_each(title, body, [address]))


def sessions_end(user: User) -> int:
    """End every session of the user (they sign in again). Sessions are found in the session
    store's table: this needs a database-backed SESSION_ENGINE (db or cached_db)."""
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore
    if not hasattr(store, "get_model_class"):
        raise ImproperlyConfigured("sessions_end() needs a database-backed SESSION_ENGINE.")
    model = store.get_model_class()
    uid = str(user.pk)
    ended = 0
    live = model.objects.filter(expire_date__gt=timezone.now()).values_list(
        "session_key", "session_data"
    )
    for key, data in live:
        if store().decode(data).get(SESSION_KEY) == uid:
            store(session_key=key).delete()  # the cache too, for cached_db
            ended += 1
    return ended
