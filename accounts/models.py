import hashlib
import time

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, TimestampMixin
from django_otp.oath import TOTP

from integrity.audit import audited
from integrity.sync import Synced
from integrity.tenancy import TenantScopedQuerySet

from .choices import (
    AGENCY_ROLES,
    AgencyKind,
    Outcome,
    RankingGroup,
    Role,
    SecurityEventKind,
    TenantLevel,
)
from .validators import validate_credit_code, validate_division_code


@audited()
class Tenant(Synced):
    """A jurisdiction (辖区): a city, or a county below a city. Each county's data is its own."""

    name = models.CharField(_("name"), max_length=100)
    division_code = models.CharField(
        _("administrative division code"),
        max_length=6,
        unique=True,
        validators=[validate_division_code],
    )
    level = models.CharField(_("level"), max_length=10, choices=TenantLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "pk"
    scope_agency = None
    agency_roles_read_tenant = True

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["division_code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.level == TenantLevel.COUNTY and self.parent_id is None:
            raise ValidationError({"parent": _("A county belongs to a city.")})
        if self.level == TenantLevel.CITY and self.parent_id is not None:
            raise ValidationError({"parent": _("A city has no parent jurisdiction here.")})
        if self.parent_id and self.parent.level != TenantLevel.CITY:
            raise ValidationError({"parent": _("The parent jurisdiction must be a city.")})


@audited()
class Agency(Synced):
    """An agency (单位): township, sub-district, development zone, department, institution, SOE."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="agencies"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=AgencyKind.choices)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
    )
    ranking_group = models.CharField(
        _("ranking group"), max_length=20, choices=RankingGroup.choices
    )
    leader_name = models.CharField(_("leader"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = "pk"

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["tenant_id", "ranking_group", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="agency_unique_name"),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="agency_unique_credit_code",
                # Code "unique" puts the error on the field; the default message names only
                # the constraint.
                violation_error_code="unique",
                violation_error_message=_(
                    "This unified social credit code is already used by another agency."
                ),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "is_active", "name"])]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(TenantScopedQuerySet):
    def people(self):
        """Accounts of people: without the identities of API clients, which are managed with
        their client and never edited, reset or listed as users."""
        return self.exclude(role=Role.API_CLIENT)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


@audited(exclude=["password", "last_login", "failed_login_count"])
class User(AbstractUser, Synced):
    """A person with an account: belongs to a tenant, and to an agency for agency roles."""

    display_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    tenant = models.ForeignKey(
        Tenant,
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    failed_login_count = models.PositiveIntegerField(_("failed logins"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Kept by the services of accounts.two_factor with the devices, so that no request needs a
    # query to know whether to ask for a code.
    two_factor_enabled = models.BooleanField(
        _("second factor enabled"), default=False, editable=False
    )

    objects = ScopedUserManager()
    scope_tenant = "tenant"
    scope_agency = "agency"

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.PLATFORM_ADMIN

    @property
    def second_factor_required(self) -> bool:
        """Whether the user must have a second factor (OTP_REQUIRED and OTP_REQUIRED_ROLES)."""
        return settings.OTP_REQUIRED and (
            self.role in settings.OTP_REQUIRED_ROLES or self.is_superuser or self.is_staff
        )

    @property
    def second_factor_needed(self) -> bool:
        """Whether a password alone is not enough to sign in: the second factor is required,
        or the user enrolled one (whatever the setting)."""
        return self.two_factor_enabled or self.second_factor_required

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.role != Role.PLATFORM_ADMIN and self.tenant_id is None:
            errors["tenant"] = _("Every role except the platform administrator needs a tenant.")
        if self.role in AGENCY_ROLES and self.agency_id is None:
            errors["agency"] = _("Agency clerks and leaders belong to an agency.")
        elif self.agency_id is not None and self.role not in AGENCY_ROLES | {Role.EVALUATOR}:
            errors["agency"] = _("Only agency clerks and leaders belong to an agency.")
        elif self.agency_id is not None and self.agency.tenant_id != self.tenant_id:
            # Evaluators too: an agency never links a user to another jurisdiction.
            errors["agency"] = _("The agency must belong to the user's jurisdiction.")
        if (
            self.role == Role.CITY_VIEWER
            and self.tenant_id
            and self.tenant.level != TenantLevel.CITY
        ):
            errors["tenant"] = _("A city viewer belongs to a city.")
        if errors:
            raise ValidationError(errors)


class SecurityEvent(models.Model):
    """A security event (安全事件): logins, locks, permission changes, exports, API-key use.

    Append-only: a trigger refuses UPDATE and DELETE.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("event"), max_length=30, choices=SecurityEventKind.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    tenant = models.ForeignKey(
        Tenant,
        verbose_name=_("jurisdiction"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"]),
            models.Index(fields=["ip_address", "kind", "created_at"]),
        ]
        triggers = [
            pgtrigger.Protect(
                name="security_event_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.username}"


@audited()
class Notification(models.Model):
    """An in-app message to one user (a campaign launched, a filing returned, something overdue).
    Only its addressee reads it. The text is stored as written at the time, in the UI's
    language, because it reports what happened then."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("jurisdiction"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("addressee"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None
    agency_roles_read_tenant = True
    scope_owner = "user"  # every role, the platform admin too, reads only its own

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.title


@audited(exclude=["last_used_at", "last_used_ip"])
class ApiClient(models.Model):
    """A machine client of the API (e.g. the city credit platform). It acts through its own
    user of role API_CLIENT in its tenant, so tenancy, the permission matrix and the audit trail
    treat it like any reader; it reads the resources in `scopes` and nothing else, and never
    writes. The key is shown once; only its SHA-256 is stored (the key is 256 random bits, so a
    slow password hash would add nothing but latency)."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("identity"),
        on_delete=models.PROTECT,
        related_name="api_client",
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    scopes = models.JSONField(_("resources"), default=list)
    rate = models.CharField(_("request limit"), max_length=20, default="600/min")
    key_prefix = models.CharField(_("key prefix"), max_length=16, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("key rotated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)

    objects = TenantScopedQuerySet.as_manager()
    scope_tenant = "tenant"
    scope_agency = None

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["tenant_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="api_client_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


@audited(exclude=["key", "last_t", "last_used_at"])
class TotpDevice(TimestampMixin, Device):
    """A user's authenticator app (身份验证器), the second factor (双因素认证): a secret shared with
    the app, which shows a new 6-digit code every 30 seconds (TOTP, RFC 6238; the codes are
    checked by django-otp). At most one per user. The audit trail records that it was set up
    or removed, never the secret."""

    STEP = 30
    DIGITS = 6
    # Codes of the previous and the next 30 seconds are accepted too (clocks of phones drift).
    TOLERANCE = 1

    key = models.CharField(_("secret"), max_length=80)  # hex, as django-otp keeps it
    # The time step of the last accepted code: a code is accepted once and never again.
    last_t = models.BigIntegerField(_("last time step used"), default=-1)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")
        constraints = [
            models.UniqueConstraint(fields=["user"], name="totp_device_one_per_user"),
        ]

    def check_token(self, token: str) -> bool:
        """Whether `token` is a current code not used before; on success the device remembers
        its time step (the caller saves it)."""
        token = (token or "").strip().replace(" ", "")
        if len(token) != self.DIGITS or not token.isascii() or not token.isdigit():
            return False
        totp = TOTP(bytes.fromhex(self.key), self.STEP, 0, self.DIGITS, 0)
        totp.time = time.time()
        if not totp.verify(int(token), self.TOLERANCE, self.last_t + 1):
            return False
        self.last_t = totp.t()
        self.last_used_at = timezone.now()
        return True

    def verify_token(self, token) -> bool:
        if not self.check_token(str(token)):
            return False
        self.save(update_fields=["last_t", "last_used_at"])
        return True


def recovery_code_digest(code: str) -> str:
    """Recovery codes are kept as SHA-256 digests of their normalised text: each has 80 random
    bits, so a slow password hash would add nothing but time (10 codes are tried per login)."""
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


@audited(exclude=["last_used_at"])
class RecoveryCodeDevice(TimestampMixin, Device):
    """A user's one-time recovery codes (恢复码), for a lost or broken phone: each signs in once
    in place of a code of the app. At most one set per user; only digests are stored."""

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user"], name="recovery_code_device_one_per_user"),
        ]

    def verify_token(self, token) -> bool:
        deleted, _rows = self.codes.filter(code_hash=recovery_code_digest(str(token))).delete()
        if not deleted:
            return False
        self.set_last_used_timestamp(commit=False)
        self.save(update_fields=["last_used_at"])
        return True


@audited(exclude=["code_hash"])
class RecoveryCode(models.Model):
    """One unused recovery code (its digest); deleted when used. The audit trail records when
    codes were made and used, never their digests."""

    device = models.ForeignKey(
        RecoveryCodeDevice,
        verbose_name=_("recovery codes"),
        on_delete=models.CASCADE,
        related_name="codes",
    )
    code_hash = models.CharField(_("digest"), max_length=64)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.code_hash[:8]}"
