"""The second factor (等保2.0 level 3 for administrators), through the HTTP views on the real
database: enrolment with codes computed here from the secret the page shows (django-otp's own
TOTP arithmetic), verification at login, lockout, replay, recovery codes, the gate in front of
every page, the account page and the administrators' reset."""

import base64
import hashlib
import os
import subprocess
import sys
import time
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.oath import TOTP
from pghistory.models import Events

from accounts import services
from accounts.choices import Role, SecurityEventKind
from accounts.models import Notification, RecoveryCode, SecurityEvent, TotpDevice, User
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

LOGIN_URL = "/accounts/login/"
LOGOUT_URL = "/accounts/logout/"
VERIFY_URL = "/accounts/two-factor/verify/"
ENROL_URL = "/accounts/two-factor/enrol/"
ACCOUNT_URL = "/accounts/profile/"
REGENERATE_URL = "/accounts/two-factor/recovery-codes/"
REMOVE_URL = "/accounts/two-factor/remove/"


def reset_url(user) -> str:
    return f"/users/{user.pk}/reset-second-factor/"


@pytest.fixture
def required(settings):
    """The production setting: administrators must have a second factor."""
    settings.OTP_REQUIRED = True
    return settings


def code(key: bytes, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or `steps_ahead` 30-second steps later)."""
    totp = TOTP(key, step=30, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def password_step(client, user, next_url=None):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN_URL, data)


def enrol(client) -> tuple[bytes, list[str]]:
    """Set up the app through the enrolment page; returns the secret and the recovery codes."""
    page = client.get(ENROL_URL)
    assert page.status_code == 200
    text = page.context["secret"].replace(" ", "")
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    response = client.post(ENROL_URL, {"code": code(key)})
    assert response.status_code == 200, response.content.decode()[:500]
    return key, response.context["codes"]


def enrolled(client, user) -> tuple[bytes, list[str]]:
    """`user` with an app set up over HTTP, then signed out."""
    login(client, user)
    key, codes = enrol(client)
    client.post(LOGOUT_URL)
    return key, codes


def verified(client) -> bool:
    return "otp_device_id" in client.session


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def failed_code_events(user):
    return SecurityEvent.objects.filter(
        kind=SecurityEventKind.LOGIN_FAILED, user=user, detail__reason="second_factor"
    )


# Enrolment ---------------------------------------------------------------------------------


def test_required_admin_enrols_with_a_real_totp_code(client, world, required):
    admin = world.office_admin_a

    response = password_step(client, admin, next_url="/agencies/")

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL_URL}?next=%2Fagencies%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert "<svg" in html and "<path" in html  # the QR code, inline
    assert page.context["secret"].replace(" ", "") in html.replace(" ", "")
    assert 'data-testid="current-user"' not in html  # no menu before the code is confirmed
    text = page.context["secret"].replace(" ", "")
    key = base64.b32decode(text + "=" * (-len(text) % 8))

    wrong = client.post(ENROL_URL, {"code": f"{(int(code(key)) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 400
    admin.refresh_from_db()
    assert not admin.two_factor_enabled and not TotpDevice.objects.filter(user=admin).exists()

    done = client.post(ENROL_URL, {"code": code(key), "next": "/agencies/"})

    assert done.status_code == 200
    assert done["Cache-Control"] == "no-store"
    codes = done.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    body = done.content.decode()
    assert all(c in body for c in codes)
    download = done.context["download_href"]
    assert download.startswith("data:text/plain;charset=utf-8,")
    assert all(c in unquote(download) for c in codes)
    assert 'download="recovery-codes-oa-a.txt"' in body
    # Only digests are kept.
    stored = RecoveryCode.objects.filter(device__user=admin).values_list("code_hash", flat=True)
    digests = {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert set(stored) == digests
    admin.refresh_from_db()
    assert admin.two_factor_enabled
    assert TotpDevice.objects.get(user=admin).key == key.hex()
    assert verified(client)
    assert client.get("/agencies/").status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.OTP_ENROLLED, user=admin).exists()
    # The audit trail records the new device without its secret.
    event = Events.objects.filter(pgh_obj_model="accounts.TotpDevice", pgh_label="insert").get()
    assert event.pgh_data["user_id"] == admin.pk and "key" not in event.pgh_data


def test_a_user_who_must_change_the_password_enrols_first(client, world, required):
    admin = world.office_admin_a
    User.objects.filter(pk=admin.pk).update(must_change_password=True)

    response = password_step(client, admin)
    assert response["Location"].startswith(ENROL_URL)
    assert client.get(ENROL_URL).status_code == 200  # not sent to the password page
    key, _codes = enrol(client)

    assert client.get("/")["Location"] == "/accounts/password/"


def test_an_enrolled_user_cannot_replace_the_app_with_the_password_alone(client, world):
    key, _codes = enrolled(client, world.office_staff_a)
    password_step(client, world.office_staff_a)

    response = client.get(ENROL_URL)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY_URL)
    assert client.post(ENROL_URL, {"code": "123456"}).status_code == 302
    assert TotpDevice.objects.get(user=world.office_staff_a).key == key.hex()


# Verification at login ---------------------------------------------------------------------


def test_login_asks_for_the_code_and_counts_a_wrong_one(client, world):
    # Enrolled voluntarily: asked for the code although the setting is off here.
    assert settings.OTP_REQUIRED is False
    user = world.office_staff_a
    key, _codes = enrolled(client, user)

    response = password_step(client, user, next_url="/agencies/")
    assert response["Location"] == f"{VERIFY_URL}?next=%2Fagencies%2F"
    assert signed_in(client) and not verified(client)
    assert client.get("/agencies/")["Location"] == f"{VERIFY_URL}?next=%2Fagencies%2F"

    wrong = client.post(VERIFY_URL, {"code": "000000", "next": "/agencies/"})

    assert wrong.status_code == 400
    user.refresh_from_db()
    assert user.failed_login_count == 1
    assert failed_code_events(user).count() == 1
    assert not verified(client)

    right = client.post(VERIFY_URL, {"code": code(key, 1), "next": "/agencies/"})

    assert right.status_code == 302 and right["Location"] == "/agencies/"
    assert verified(client)
    assert client.get("/agencies/").status_code == 200
    user.refresh_from_db()
    assert user.failed_login_count == 0
    event = SecurityEvent.objects.get(kind=SecurityEventKind.OTP_VERIFIED, user=user)
    assert event.detail == {"method": "app"}


def test_five_wrong_codes_lock_the_account_and_end_the_session(client, world):
    user = world.office_staff_a
    key, _codes = enrolled(client, user)
    password_step(client, user)

    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert client.post(VERIFY_URL, {"code": "000000"}).status_code == 400
    last = client.post(VERIFY_URL, {"code": "000000"})

    assert last.status_code == 302 and last["Location"] == LOGIN_URL
    assert not signed_in(client)
    user.refresh_from_db()
    assert user.is_locked
    assert failed_code_events(user).count() == settings.LOGIN_FAILURE_LIMIT
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.ACCOUNT_LOCKED, user=user).exists()
    # Locked: the right password does not even reach the code step.
    assert password_step(client, user).status_code == 200
    assert not signed_in(client)


def test_the_password_alone_does_not_clear_wrong_codes(client, world):
    user = world.office_staff_a
    key, _codes = enrolled(client, user)
    password_step(client, user)
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        client.post(VERIFY_URL, {"code": "000000"})
    client.post(LOGOUT_URL)

    password_step(client, user)  # the right password again

    user.refresh_from_db()
    assert user.failed_login_count == settings.LOGIN_FAILURE_LIMIT - 1
    client.post(VERIFY_URL, {"code": "000000"})
    user.refresh_from_db()
    assert user.is_locked


def test_a_code_is_accepted_only_once(client, world):
    user = world.office_staff_a
    login(client, user)
    page = client.get(ENROL_URL)
    text = page.context["secret"].replace(" ", "")
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    used = code(key)
    assert client.post(ENROL_URL, {"code": used}).status_code == 200
    client.post(LOGOUT_URL)
    password_step(client, user)

    replay = client.post(VERIFY_URL, {"code": used})

    assert replay.status_code == 400 and not verified(client)
    user.refresh_from_db()
    assert user.failed_login_count == 1
    assert client.post(VERIFY_URL, {"code": code(key, 1)}).status_code == 302
    assert verified(client)


def test_a_recovery_code_signs_in_once(client, world):
    user = world.office_staff_a
    _key, codes = enrolled(client, user)
    password_step(client, user)

    response = client.post(VERIFY_URL, {"code": codes[3].upper()})

    assert response.status_code == 302 and verified(client)
    event = SecurityEvent.objects.get(kind=SecurityEventKind.OTP_VERIFIED, user=user)
    assert event.detail == {"method": "recovery_code", "recovery_codes_left": 9}
    client.post(LOGOUT_URL)
    password_step(client, user)
    again = client.post(VERIFY_URL, {"code": codes[3]})
    assert again.status_code == 400 and not verified(client)
    assert client.post(VERIFY_URL, {"code": codes[4]}).status_code == 302


# The gate in front of every page -------------------------------------------------------------


def _pages_without_arguments():
    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if "<" not in route and "(?P" not in route and "^" not in route:
                    yield "/" + route

    return sorted(set(walk(get_resolver().url_patterns)))


OPEN_PATHS = {LOGIN_URL, LOGOUT_URL, VERIFY_URL, ENROL_URL, "/healthz"}


def test_required_admin_without_a_device_is_sent_to_enrolment_from_every_page(
    client, world, required
):
    login(client, world.office_admin_a)
    pages = _pages_without_arguments()
    assert len(pages) > 40
    checked = 0
    for path in pages:
        if path in OPEN_PATHS or path.startswith(("/public/", "/api/v1/public/")):
            continue
        response = client.get(path)
        if path.startswith("/api/"):
            assert response.status_code == 403, path
            assert response.json()["error"]["code"] == "second_factor_required", path
        else:
            assert response.status_code == 302, path
            assert response["Location"].startswith(ENROL_URL + "?next="), path
        checked += 1
    assert checked > 40
    # Pages addressing an object, writes and the Django admin too.
    assert client.get(f"/agencies/{world.a1.pk}/")["Location"].startswith(ENROL_URL)
    assert client.post(f"/users/{world.clerk_a1.pk}/lock/")["Location"] == ENROL_URL
    assert client.get("/django-admin/")["Location"].startswith(ENROL_URL)
    world.clerk_a1.refresh_from_db()
    assert not world.clerk_a1.is_locked
    # The public side is not concerned.
    assert client.get("/public/").status_code == 200


def test_no_second_factor_asked_in_the_demo_setting(client, world):
    assert settings.OTP_REQUIRED is False
    response = password_step(client, world.office_admin_a)
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/django-admin/").status_code == 302  # office admins never reach it


def _setting_in(env: dict) -> str:
    base = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ENV", "OTP_REQUIRED"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.OTP_REQUIRED, sorted(settings.OTP_REQUIRED_ROLES))",
        ],
        cwd=settings.BASE_DIR,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "integrity.settings",
            "SECRET_KEY": "k3Vq9x-7Lw2!pZr8#Tb4@Yc6&Nd1^Hf5*Jg0(Mh3)Qs7_Ue2+Wa9=Xo4%Ei6$Rl8",
            "DATABASE_URL": os.environ.get(
                "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/integrity"
            ),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_required_by_default_in_production_only():
    roles = "['office_admin', 'platform_admin']"
    assert _setting_in({"DJANGO_ENV": "production"}) == f"True {roles}"
    assert _setting_in({"DJANGO_ENV": "production", "OTP_REQUIRED": "off"}) == f"False {roles}"
    assert _setting_in({"DJANGO_ENV": "development"}) == f"False {roles}"


def test_api_keys_and_verified_sessions_pass_the_gate(client, world, required):
    _client, key = services.api_client_create(
        tenant=world.county_a,
        data={"name": "城市平台", "scopes": ["*"], "rate": "600/min"},
        actor=world.office_admin_a,
    )
    response = client.get("/api/v1/agencies/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 200

    admin = world.platform_admin
    password_step(client, admin)
    assert client.get("/django-admin/")["Location"].startswith(ENROL_URL)
    enrol(client)
    assert client.get("/django-admin/").status_code == 200
    assert client.get("/api/v1/agencies/").status_code == 200


def test_django_admin_needs_a_verified_session(client, world, required):
    admin = world.platform_admin
    key, _codes = enrolled(client, admin)
    password_step(client, admin)

    assert client.get("/django-admin/")["Location"].startswith(VERIFY_URL)
    client.post(VERIFY_URL, {"code": code(key, 1)})
    assert client.get("/django-admin/").status_code == 200


# The account page ----------------------------------------------------------------------------


def test_account_page_shows_the_status(client, world):
    login(client, world.office_staff_a)
    page = client.get(ACCOUNT_URL)
    assert page.status_code == 200
    assert page.context["status"]["device"] is None
    assert ENROL_URL in page.content.decode()

    enrol(client)
    status = client.get(ACCOUNT_URL).context["status"]
    assert status["device"] is not None and status["recovery_codes_left"] == 10
    assert status["required"] is False


def test_new_recovery_codes_need_a_current_code(client, world):
    user = world.office_staff_a
    login(client, user)
    key, old = enrol(client)

    refused = client.post(REGENERATE_URL, {"regenerate-code": "000000"})
    assert refused.status_code == 302
    user.refresh_from_db()
    assert user.failed_login_count == 1
    assert RecoveryCode.objects.filter(device__user=user).count() == 10

    response = client.post(REGENERATE_URL, {"regenerate-code": code(key, 1)})

    assert response.status_code == 200
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.OTP_RECOVERY_CODES, user=user
    ).exists()
    client.post(LOGOUT_URL)
    password_step(client, user)
    assert client.post(VERIFY_URL, {"code": old[0]}).status_code == 400
    assert client.post(VERIFY_URL, {"code": new[0]}).status_code == 302


def test_removing_the_second_factor(client, world, settings):
    user = world.office_admin_a
    login(client, user)
    key, _codes = enrol(client)

    settings.OTP_REQUIRED = True  # required of office admins: cannot be removed
    client.post(REMOVE_URL, {"remove-code": code(key, 1)})
    user.refresh_from_db()
    assert user.two_factor_enabled and TotpDevice.objects.filter(user=user).exists()

    settings.OTP_REQUIRED = False
    client.post(REMOVE_URL, {"remove-code": "000000"})
    user.refresh_from_db()
    assert user.two_factor_enabled and user.failed_login_count == 1
    client.post(REMOVE_URL, {"remove-code": code(key, 1)})
    user.refresh_from_db()
    assert not user.two_factor_enabled
    assert not TotpDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(device__user=user).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.OTP_REMOVED, user=user).exists()
    client.post(LOGOUT_URL)
    assert password_step(client, user)["Location"] == "/"  # one step again


# The administrators' reset -------------------------------------------------------------------


def test_office_admin_resets_a_user_of_the_county(client, world):
    from django.test import Client

    target = world.office_staff_a
    own = Client()
    key, _codes = enrolled(own, target)
    password_step(own, target)
    own.post(VERIFY_URL, {"code": code(key, 1)})
    assert own.get("/").status_code == 200
    other = UserFactory(role=Role.OFFICE_STAFF, tenant=world.county_a)
    bystander = login(Client(), other)

    login(client, world.office_admin_a)
    assert client.get(reset_url(target)).status_code == 200
    response = client.post(reset_url(target))

    assert response.status_code == 302 and response["Location"] == "/users/"
    target.refresh_from_db()
    assert not target.two_factor_enabled
    assert not TotpDevice.objects.filter(user=target).exists()
    assert not RecoveryCode.objects.filter(device__user=target).exists()
    # Every session of the user ended; nobody else's.
    assert own.get("/")["Location"].startswith(LOGIN_URL)
    assert bystander.get("/").status_code == 200
    event = SecurityEvent.objects.get(kind=SecurityEventKind.OTP_RESET)
    assert event.user == world.office_admin_a and event.tenant == world.county_a
    assert event.detail == {"target": target.username, "sessions_ended": 1}
    # Audited: the change of the account, with who made it.
    change = Events.objects.get(
        pgh_obj_model="accounts.User",
        pgh_obj_id=str(target.pk),
        pgh_label="update",
        pgh_context__username=world.office_admin_a.username,
    )
    # and whoever knows the password must not enrol the next app: the password changes too
    assert change.pgh_diff == {
        "two_factor_enabled": [True, False],
        "must_change_password": [False, True],
    }
    assert Events.objects.filter(pgh_obj_model="accounts.TotpDevice", pgh_label="delete").exists()
    notice = Notification.objects.get(user=target)
    assert str(world.office_admin_a) in notice.body
    # The next login is one step again for a role that need not have it, to a new password.
    assert password_step(own, target)["Location"] == "/"
    assert own.get("/")["Location"].startswith("/accounts/password/")


def test_office_admin_cannot_reset_another_countys_user(client, world):
    from django.test import Client

    key, _codes = enrolled(Client(), world.office_admin_b)
    login(client, world.office_admin_a)

    assert client.get(reset_url(world.office_admin_b)).status_code == 404
    assert client.post(reset_url(world.office_admin_b)).status_code == 404

    world.office_admin_b.refresh_from_db()
    assert world.office_admin_b.two_factor_enabled
    assert TotpDevice.objects.filter(user=world.office_admin_b).exists()
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.OTP_RESET).exists()


def test_platform_admin_resets_anyone_and_the_user_enrols_again(client, world, settings):
    from django.test import Client

    target = world.office_admin_b
    enrolled(Client(), target)
    login(client, world.platform_admin)

    assert client.post(reset_url(target)).status_code == 302

    target.refresh_from_db()
    assert not target.two_factor_enabled
    event = SecurityEvent.objects.get(kind=SecurityEventKind.OTP_RESET)
    assert event.user == world.platform_admin and event.tenant == world.county_b
    assert Notification.objects.filter(user=target).count() == 1
    settings.OTP_REQUIRED = True
    again = Client()
    assert password_step(again, target)["Location"].startswith(ENROL_URL)


def test_reset_is_for_administrators_and_not_of_oneself(client, world):
    from django.test import Client

    enrolled(Client(), world.office_admin_a)
    login(client, world.office_admin_a)
    client.post(reset_url(world.office_admin_a))
    world.office_admin_a.refresh_from_db()
    assert world.office_admin_a.two_factor_enabled

    enrolled(Client(), world.clerk_a1)
    login(client, world.office_staff_a)
    assert client.post(reset_url(world.clerk_a1)).status_code == 403
    world.clerk_a1.refresh_from_db()
    assert world.clerk_a1.two_factor_enabled


def test_an_office_admin_cannot_reset_a_peer_administrator(client, world):
    from django.test import Client

    peer = UserFactory(role=Role.OFFICE_ADMIN, tenant=world.county_a)
    enrolled(Client(), peer)
    login(client, world.office_admin_a)
    client.post(reset_url(peer))
    peer.refresh_from_db()
    assert peer.two_factor_enabled and TotpDevice.objects.filter(user=peer).exists()
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.OTP_RESET).exists()


def test_replacing_the_app_takes_a_code_of_the_old_one_or_a_recovery_code(client, world):
    user = world.office_staff_a
    key, codes = enrolled(client, user)
    password_step(client, user)
    client.post(VERIFY_URL, {"code": code(key, 1)})
    assert verified(client)
    page = client.get(ENROL_URL)
    text = page.context["secret"].replace(" ", "")
    new_key = base64.b32decode(text + "=" * (-len(text) % 8))
    # a verified session alone (perhaps someone else's) does not replace the app
    refused = client.post(ENROL_URL, {"code": code(new_key), "current_code": "000000"})
    assert refused.status_code == 400
    assert TotpDevice.objects.get(user=user).key != new_key.hex()
    assert User.objects.get(pk=user.pk).failed_login_count == 1
    missing = client.post(ENROL_URL, {"code": code(new_key)})
    assert missing.status_code == 400
    # the phone is lost: an unused recovery code replaces it
    response = client.post(ENROL_URL, {"code": code(new_key), "current_code": codes[0]})
    assert response.status_code == 200
    assert TotpDevice.objects.get(user=user).key == new_key.hex()


def test_a_superuser_needs_the_second_factor_and_the_admin_signs_in_through_our_login(
    client, world, required
):
    root = User.objects.create_superuser(username="root", password=PASSWORD)
    assert root.second_factor_required
    response = client.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    login(client, root)
    assert client.get("/django-admin/")["Location"].startswith(ENROL_URL)
