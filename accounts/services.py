"""Writes for tenants, agencies and users. Each service is atomic, validates with full_clean()
and runs inside the audit context of its caller (request middleware, command or task)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity import rls
from integrity.net import client_ip
from integrity.services import apply_changes

from . import api_client_cache
from .choices import Outcome, Role, SecurityEventKind, default_ranking_group
from .models import Agency, ApiClient, Notification, SecurityEvent, Tenant, User
from .validators import normalize_credit_code

logger = logging.getLogger(__name__)

TENANT_FIELDS = ("name", "division_code", "level", "parent", "is_active")
AGENCY_FIELDS = (
    "name",
    "kind",
    "credit_code",
    "ranking_group",
    "leader_name",
    "contact_name",
    "contact_phone",
    "is_active",
)
USER_FIELDS = ("username", "display_name", "phone", "email", "role", "tenant", "agency")
PERMISSION_FIELDS = ("role", "tenant", "agency", "is_active")


@rls.system()  # the security log is the platform's: events of unknown users have no tenant
def security_event_record(
    *,
    kind: str,
    outcome: str = Outcome.SUCCESS,
    request=None,
    user=None,
    username: str = "",
    tenant=None,
    **detail,
) -> SecurityEvent:
    if user is not None:
        username = username or user.get_username()
        tenant = tenant or user.tenant
    return SecurityEvent.objects.create(
        kind=kind,
        outcome=outcome,
        user=user,
        username=username[:150],
        tenant=tenant,
        ip_address=client_ip(request) if request is not None else None,
        detail=detail,
    )


def _tenant_of(user: User, actor: User | None):
    return user.tenant or (actor.tenant if actor is not None else None)


# Tenants ----------------------------------------------------------------------------------


@transaction.atomic
def tenant_create(*, data: dict, actor: User) -> Tenant:
    from domains.services import tenant_defaults_ensure
    from monitoring.services import tenant_rules_ensure

    tenant = Tenant()
    apply_changes(tenant, data, TENANT_FIELDS)
    tenant.full_clean()
    tenant.save()
    # A new jurisdiction starts with the default key domains, problem types and rules.
    tenant_defaults_ensure(tenant=tenant)
    tenant_rules_ensure(tenant=tenant)
    return tenant


@transaction.atomic
def tenant_update(*, tenant: Tenant, data: dict, actor: User) -> Tenant:
    changed = apply_changes(tenant, data, TENANT_FIELDS)
    if changed:
        tenant.full_clean()
        tenant.save(update_fields=[*changed, "updated_at"])
    return tenant


# Agencies ---------------------------------------------------------------------------------


def _prepare_agency(agency: Agency, data: dict) -> list[str]:
    data = dict(data)
    if "credit_code" in data:
        data["credit_code"] = normalize_credit_code(data["credit_code"] or "")
    # An empty ranking group follows the kind; a change of kind alone keeps an explicit group.
    explicit = "ranking_group" in data or agency.pk is None or not agency.ranking_group
    if explicit and not data.get("ranking_group") and data.get("kind"):
        data["ranking_group"] = default_ranking_group(data["kind"])
    return apply_changes(agency, data, AGENCY_FIELDS)


@transaction.atomic
def agency_create(*, tenant: Tenant, data: dict, actor: User) -> Agency:
    agency = Agency(tenant=tenant)
    _prepare_agency(agency, data)
    agency.full_clean()
    agency.save()
    return agency


@transaction.atomic
def agency_update(*, agency: Agency, data: dict, actor: User) -> Agency:
    changed = _prepare_agency(agency, data)
    if changed:
        agency.full_clean()
        agency.save(update_fields=[*changed, "updated_at"])
        _deactivate_users_of_inactive(agency, changed)
    return agency


def _deactivate_users_of_inactive(agency: Agency, changed: list[str]) -> None:
    # A deactivated agency's accounts stop working with it, however it was deactivated.
    if "is_active" not in changed or agency.is_active:
        return
    if User.objects.filter(agency=agency, is_active=True).update(is_active=False):
        api_client_cache.changed()  # update() sends no signal to the workers' copies


@transaction.atomic
def agency_set_active(*, agency: Agency, active: bool, actor: User) -> Agency:
    if agency.is_active != active:
        agency.is_active = active
        agency.save(update_fields=["is_active", "updated_at"])
        _deactivate_users_of_inactive(agency, ["is_active"])
    return agency


@transaction.atomic
def agencies_import(*, tenant: Tenant, rows: list[dict], actor: User) -> dict[str, int]:
    """Create or update agencies (matched by name within the tenant) from validated rows.

    All or nothing: the caller validated every row; any database error rolls everything back.
    """
    existing = {a.name: a for a in Agency.objects.for_tenant(tenant).select_for_update()}
    created, updated = [], 0
    for data in rows:
        agency = existing.get(data["name"]) or Agency(tenant=tenant)
        changed = _prepare_agency(agency, data)
        agency.full_clean(validate_unique=False)
        if agency.pk is None:
            created.append(agency)
        elif changed:
            agency.save(update_fields=[*changed, "updated_at"])
            _deactivate_users_of_inactive(agency, changed)
            updated += 1
    Agency.objects.bulk_create(created)
    return {"created": len(created), "updated": updated}


# Users ------------------------------------------------------------------------------------


def _check_password(password: str, user: User) -> None:
    validate_password(password, user)


def _record_permission_change(user: User, before: dict, actor: User, request) -> None:
    after = {f: _permission_value(user, f) for f in PERMISSION_FIELDS}
    if before != after:
        security_event_record(
            kind=SecurityEventKind.PERMISSION_CHANGED,
            request=request,
            user=actor,
            tenant=_tenant_of(user, actor),
            target=user.get_username(),
            before=before,
            after=after,
        )


def _permission_value(user: User, field: str):
    if field in ("tenant", "agency"):
        return getattr(user, f"{field}_id")
    return getattr(user, field)


@transaction.atomic
def user_create(*, data: dict, password: str, actor: User, request=None) -> User:
    user = User(must_change_password=True)
    apply_changes(user, data, USER_FIELDS)
    user.full_clean(exclude=["password"])
    _check_password(password, user)
    user.set_password(password)
    user.is_staff = user.is_superuser = user.is_platform_admin
    user.save()
    _record_permission_change(
        user, {f: None for f in PERMISSION_FIELDS}, actor=actor, request=request
    )
    return user


@transaction.atomic
def user_update(*, user: User, data: dict, actor: User, request=None) -> User:
    before = {f: _permission_value(user, f) for f in PERMISSION_FIELDS}
    changed = apply_changes(user, data, USER_FIELDS)
    if actor is not None and user.pk == actor.pk and {"role", "tenant", "agency"} & set(changed):
        raise ValidationError(_("You cannot change your own role or jurisdiction."))
    if changed:
        user.full_clean(exclude=["password"])
        user.is_staff = user.is_superuser = user.is_platform_admin
        user.save(update_fields=[*changed, "is_staff", "is_superuser"])
        _record_permission_change(user, before, actor=actor, request=request)
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, actor: User, request=None) -> User:
    if user.pk == actor.pk and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    before = {f: _permission_value(user, f) for f in PERMISSION_FIELDS}
    user.is_active = active
    user.save(update_fields=["is_active"])
    _record_permission_change(user, before, actor=actor, request=request)
    return user


@transaction.atomic
def user_reset_password(*, user: User, password: str, actor: User, request=None) -> User:
    _check_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.failed_login_count = 0
    user.save(update_fields=["password", "must_change_password", "failed_login_count"])
    security_event_record(
        kind=SecurityEventKind.PASSWORD_RESET,
        request=request,
        user=actor,
        tenant=_tenant_of(user, actor),
        target=user.get_username(),
    )
    return user


@transaction.atomic
def user_lock(*, user: User, actor: User, request=None, until=None) -> User:
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot lock your own account."))
    # "Locked by an administrator" lasts until an administrator unlocks it.
    user.locked_until = until or timezone.now() + timedelta(days=365 * 100)
    user.save(update_fields=["locked_until"])
    security_event_record(
        kind=SecurityEventKind.ACCOUNT_LOCKED,
        request=request,
        user=actor,
        tenant=_tenant_of(user, actor),
        target=user.get_username(),
        by="administrator",
    )
    return user


@transaction.atomic
def user_unlock(*, user: User, actor: User, request=None) -> User:
    user.locked_until = None
    user.failed_login_count = 0
    user.save(update_fields=["locked_until", "failed_login_count"])
    security_event_record(
        kind=SecurityEventKind.ACCOUNT_UNLOCKED,
        request=request,
        user=actor,
        tenant=_tenant_of(user, actor),
        target=user.get_username(),
    )
    return user


@transaction.atomic
def user_change_own_password(*, user: User, password: str, request=None) -> User:
    _check_password(password, user)
    if user.check_password(password):
        raise ValidationError(_("The new password must differ from the current one."))
    user.set_password(password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    security_event_record(kind=SecurityEventKind.PASSWORD_CHANGED, request=request, user=user)
    return user


# Login ------------------------------------------------------------------------------------


class LoginRefused(Exception):
    """Shown to the user as it is; never says whether the username exists."""


def _address_blocked(ip: str | None) -> bool:
    if not ip:
        return False
    since = timezone.now() - settings.LOGIN_LOCK_DURATION
    failures = SecurityEvent.objects.filter(
        ip_address=ip, kind=SecurityEventKind.LOGIN_FAILED, created_at__gte=since
    ).count()
    return failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


@rls.system()  # who is logging in is known only once the account is looked up
def login_attempt(*, request, username: str, password: str) -> User:
    """Authenticate, with account and address lockout. Raises LoginRefused with the reason."""
    ip = client_ip(request)
    if _address_blocked(ip):
        security_event_record(
            kind=SecurityEventKind.ADDRESS_BLOCKED,
            outcome=Outcome.FAILURE,
            request=request,
            username=username,
        )
        raise LoginRefused(_("Too many failed logins from this address. Try again in 15 minutes."))
    account = User.objects.filter(username=username).first()
    if account is not None and account.is_locked:
        security_event_record(
            kind=SecurityEventKind.LOGIN_FAILED,
            outcome=Outcome.FAILURE,
            request=request,
            user=account,
            reason="locked",
        )
        raise LoginRefused(_locked_message(account))
    user = authenticate(request, username=username, password=password)
    if user is None:
        _login_failed(request=request, username=username, account=account)
        if account is not None:
            account.refresh_from_db(fields=["locked_until"])
            if account.is_locked:
                raise LoginRefused(_locked_message(account))
        raise LoginRefused(_("Wrong username or password."))
    # With a second factor to come, the count is cleared only once the code is right
    # (accounts.two_factor.otp_verify): the password alone must not reset wrong codes.
    if user.failed_login_count and not user.second_factor_needed:
        User.objects.filter(pk=user.pk).update(failed_login_count=0)
    security_event_record(kind=SecurityEventKind.LOGIN, request=request, user=user)
    return user


def _locked_message(account: User) -> str:
    minutes = max(1, int((account.locked_until - timezone.now()).total_seconds() // 60) + 1)
    if minutes > 60 * 24:
        return _("This account is locked. Ask your administrator to unlock it.")
    return _(
        "This account is locked after repeated failed logins. Try again in %(minutes)d "
        "minutes or ask your administrator to unlock it."
    ) % {"minutes": minutes}


@transaction.atomic
def _login_failed(
    *, request, username: str, account: User | None, reason: str = "credentials"
) -> None:
    """A failed login: a wrong password, or a wrong code of the second factor (reason)."""
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED,
        outcome=Outcome.FAILURE,
        request=request,
        user=account,
        username=username,
        reason=reason,
    )
    if account is None:
        return
    User.objects.filter(pk=account.pk).update(failed_login_count=F("failed_login_count") + 1)
    account.refresh_from_db(fields=["failed_login_count"])
    if account.failed_login_count >= settings.LOGIN_FAILURE_LIMIT:
        account.locked_until = timezone.now() + settings.LOGIN_LOCK_DURATION
        account.failed_login_count = 0
        account.save(update_fields=["locked_until", "failed_login_count"])
        security_event_record(
            kind=SecurityEventKind.ACCOUNT_LOCKED,
            outcome=Outcome.FAILURE,
            request=request,
            user=account,
            by="failed_logins",
        )


def notify(users, *, title: str, body: str = "", url: str = "") -> list[Notification]:
    """An in-app notification to each user (of a tenant), e-mailed too when the platform sends
    mail (NOTIFY_BY_EMAIL) and the user has an address — after the transaction commits, so a
    rolled-back action sends nothing."""
    rows = [
        Notification(tenant_id=user.tenant_id, user=user, title=title[:200], body=body, url=url)
        for user in {user.pk: user for user in users if user.tenant_id}.values()
    ]
    created = Notification.objects.bulk_create(rows)
    if settings.NOTIFY_BY_EMAIL:
        addresses = sorted({row.user.email for row in rows if row.user.email})
        if addresses:
            text = body + (f"\n\n{settings.SITE_URL}{url}" if url else "")
            transaction.on_commit(lambda: _mail_each(title, text, addresses))
    return created


def _mail_each(subject: str, text: str, addresses: list[str]) -> None:
    """One message per addressee; a mail server that fails is logged, never the user's error
    (the in-app notification is already saved)."""
    for address in addresses:
        try:
            send_mail(subject, text, None, [address])
        except Exception:  # noqa: BLE001
            logger.warning("Notification e-mail to %s failed", address, exc_info=True)


def notifications_mark_read(*, user: User, ids=None) -> int:
    """Mark the user's notifications read (the given ones, or all)."""
    unread = Notification.objects.for_user(user).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


# API clients ---------------------------------------------------------------------------------

API_KEY_PREFIX = "igp"
API_CLIENT_FIELDS = ("name", "description", "scopes", "rate")
RATE_UNITS = ("sec", "min", "hour", "day")


def _new_key() -> tuple[str, str, str]:
    """(key, prefix, sha256 of the key). The key reads `igp_<prefix>_<secret>`."""
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_api_key(key)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _clean_api_client(client: ApiClient) -> None:
    from integrity.api_auth import api_resources

    errors = {}
    known = api_resources()
    scopes = client.scopes if isinstance(client.scopes, list) else None
    if not scopes:
        errors["scopes"] = _("Choose at least one resource the client may read.")
    elif unknown := [s for s in scopes if s != "*" and s not in known]:
        errors["scopes"] = _("Unknown resources: %(names)s.") % {"names": ", ".join(unknown)}
    number, _sep, unit = (client.rate or "").partition("/")
    if not (
        number.isascii() and number.isdigit() and 1 <= int(number) <= 100_000 and unit in RATE_UNITS
    ):
        errors["rate"] = _(
            "Write the limit as a number of requests per sec, min, hour or day, e.g. 600/min."
        )
    try:
        client.full_clean(exclude=["user", "key_prefix", "key_hash"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def api_client_create(
    *, tenant: Tenant, data: dict, actor: User, request=None
) -> tuple[ApiClient, str]:
    """A new client and its key, which is returned this once and never stored."""
    key, prefix, digest = _new_key()
    client = ApiClient(tenant=tenant, key_prefix=prefix, key_hash=digest, created_by=actor)
    apply_changes(client, data, API_CLIENT_FIELDS)
    _clean_api_client(client)
    identity = User(
        username=f"api-{prefix}",
        display_name=client.name[:50],
        role=Role.API_CLIENT,
        tenant=tenant,
    )
    identity.set_unusable_password()
    identity.save()
    client.user = identity
    client.save()
    security_event_record(
        kind=SecurityEventKind.API_KEY_ISSUED,
        request=request,
        user=actor,
        tenant=tenant,
        client=client.name,
        prefix=prefix,
    )
    return client, key


@transaction.atomic
def api_client_update(*, client: ApiClient, data: dict, actor: User) -> ApiClient:
    if not client.is_active:
        raise ValidationError(_("A revoked client cannot be changed."))
    apply_changes(client, data, API_CLIENT_FIELDS)
    _clean_api_client(client)
    client.save()
    if client.user.display_name != client.name[:50]:
        client.user.display_name = client.name[:50]
        client.user.save(update_fields=["display_name", "updated_at"])
    return client


@transaction.atomic
def api_client_rotate(*, client: ApiClient, actor: User, request=None) -> str:
    """A new key; the old one stops working at once."""
    if not client.is_active:
        raise ValidationError(_("A revoked client cannot get a new key."))
    key, prefix, digest = _new_key()
    old_prefix = client.key_prefix
    client.key_prefix, client.key_hash, client.rotated_at = prefix, digest, timezone.now()
    client.save(update_fields=["key_prefix", "key_hash", "rotated_at"])
    security_event_record(
        kind=SecurityEventKind.API_KEY_ISSUED,
        request=request,
        user=actor,
        tenant=client.tenant,
        client=client.name,
        prefix=prefix,
        replaces=old_prefix,
    )
    return key


@transaction.atomic
def api_client_revoke(*, client: ApiClient, actor: User, request=None) -> ApiClient:
    if not client.is_active:
        return client
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    client.user.is_active = False
    client.user.save(update_fields=["is_active", "updated_at"])
    security_event_record(
        kind=SecurityEventKind.API_KEY_REVOKED,
        request=request,
        user=actor,
        tenant=client.tenant,
        client=client.name,
        prefix=client.key_prefix,
    )
    return client


class ApiKeyRefused(Exception):
    pass


class ApiKeyThrottled(ApiKeyRefused):
    """Too many refused keys from this address within the minute: not even checked."""


API_LAST_USE_RESOLUTION = timedelta(minutes=1)
API_REFUSED_EVENT_SECONDS = 60
API_KEY_FAILURE_LIMIT = 30  # refused keys per address and minute before the address waits


@rls.system()  # the key names the client, and so the tenant
def api_client_authenticate(*, key: str, request=None) -> ApiClient:
    """The active client the key belongs to, or ApiKeyRefused. Last use is recorded at most
    once a minute per client; a refused key is a security event; after API_KEY_FAILURE_LIMIT
    refusals within a minute an address gets ApiKeyThrottled until the minute is over.

    An accepted client is kept in the worker (accounts.api_client_cache) while nothing about
    clients, their users or the tenants has changed: one Redis round trip, no query."""
    ip = client_ip(request) if request is not None else None
    failures_key = f"api-key-failures:{ip}"
    failures, generation = api_client_cache.read(failures_key)
    if failures >= API_KEY_FAILURE_LIMIT:
        raise ApiKeyThrottled
    digest = hash_api_key(key)
    client = api_client_cache.get(digest, generation)
    if client is None:
        client = _api_client_accepted(key, digest, failures_key, request=request, ip=ip)
        api_client_cache.put(digest, client, generation)
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at >= API_LAST_USE_RESOLUTION:
        # Each worker has its own copy of the client: the shared cache picks the one that writes.
        seconds = API_LAST_USE_RESOLUTION.total_seconds()
        if cache.add(f"api-client-used:{client.key_prefix}", True, seconds):
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now, last_used_ip=ip)
        client.last_used_at, client.last_used_ip = now, ip
    return client


def _api_client_accepted(
    key: str, digest: str, failures_key: str, *, request, ip: str | None
) -> ApiClient:
    """The client of the key, looked up in the database, or ApiKeyRefused."""
    parts = key.split("_", 2)  # the secret may contain "_"; the prefix is hex
    client = None
    if len(parts) == 3 and parts[0] == API_KEY_PREFIX:
        client = (
            ApiClient.objects.select_related("user", "tenant").filter(key_prefix=parts[1]).first()
        )
    if (
        client is None
        or not hmac.compare_digest(client.key_hash, digest)
        or not client.is_active
        or not client.user.is_active
    ):
        cache.add(failures_key, 0, API_REFUSED_EVENT_SECONDS)
        cache.incr(failures_key)
        # One security event per address and minute: a flood of bad keys does not flood the log.
        if cache.add(f"api-key-refused:{ip}", True, API_REFUSED_EVENT_SECONDS):
            security_event_record(
                kind=SecurityEventKind.API_KEY_USED,
                outcome=Outcome.FAILURE,
                request=request,
                tenant=client.tenant if client else None,
                username=client.user.username if client else "",
                prefix=parts[1][:16] if len(parts) == 3 else "",
                reason="revoked" if client and not client.is_active else "invalid",
            )
        raise ApiKeyRefused
    return client
