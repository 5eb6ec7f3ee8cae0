from django.db import models
from django.utils.translation import gettext_lazy as _


class TenantLevel(models.TextChoices):
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class AgencyKind(models.TextChoices):
    TOWNSHIP = "township", _("Township")
    SUBDISTRICT = "subdistrict", _("Sub-district office")
    DEVELOPMENT_ZONE = "development_zone", _("Development-zone committee")
    DEPARTMENT = "department", _("Government department")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")


class RankingGroup(models.TextChoices):
    """Townships (with sub-districts and development zones) are ranked apart from departments."""

    TOWNSHIP = "township", _("Townships and sub-districts")
    DEPARTMENT = "department", _("Departments and units")


TOWNSHIP_GROUP_KINDS = {AgencyKind.TOWNSHIP, AgencyKind.SUBDISTRICT, AgencyKind.DEVELOPMENT_ZONE}


def default_ranking_group(kind: str) -> str:
    return RankingGroup.TOWNSHIP if kind in TOWNSHIP_GROUP_KINDS else RankingGroup.DEPARTMENT


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    OFFICE_ADMIN = "office_admin", _("Credit office administrator")
    OFFICE_STAFF = "office_staff", _("Credit office staff")
    AGENCY_CLERK = "agency_clerk", _("Agency clerk")
    AGENCY_LEADER = "agency_leader", _("Agency leader")
    EVALUATOR = "evaluator", _("Third-party evaluator")
    CITY_VIEWER = "city_viewer", _("City viewer")
    # The identity of a machine client (accounts.ApiClient); never logs in to the UI.
    API_CLIENT = "api_client", _("API client")


AGENCY_ROLES = frozenset({Role.AGENCY_CLERK, Role.AGENCY_LEADER})
OFFICE_ROLES = frozenset({Role.OFFICE_ADMIN, Role.OFFICE_STAFF})


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    ACCOUNT_LOCKED = "account_locked", _("Account locked")
    ACCOUNT_UNLOCKED = "account_unlocked", _("Account unlocked")
    ADDRESS_BLOCKED = "address_blocked", _("Client address refused")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset by administrator")
    PERMISSION_CHANGED = "permission_changed", _("Role or permission changed")
    EXPORT = "export", _("Data export")
    API_KEY_USED = "api_key_used", _("API key used")
    API_KEY_ISSUED = "api_key_issued", _("API key issued")
    API_KEY_REVOKED = "api_key_revoked", _("API key revoked")
    ACCESS_DENIED = "access_denied", _("Access denied")
    OTP_ENROLLED = "otp_enrolled", _("Second factor enrolled")
    OTP_VERIFIED = "otp_verified", _("Second factor verified")
    OTP_RECOVERY_CODES = "otp_recovery_codes", _("Recovery codes generated")
    OTP_REMOVED = "otp_removed", _("Second factor removed")
    OTP_RESET = "otp_reset", _("Second factor reset by administrator")


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
