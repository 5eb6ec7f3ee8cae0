"""Login security (等保2.0 level 3): lockout, address blocking, idle timeout, forced password
change and the login history, all through the HTTP views on the real database."""

from datetime import timedelta

import pgtrigger
import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from accounts.choices import Outcome, Role, SecurityEventKind
from accounts.models import SecurityEvent, User
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

LOGIN_URL = "/accounts/login/"
LOGOUT_URL = "/accounts/logout/"
PASSWORD_URL = "/accounts/password/"
ADDRESS = "198.51.100.10"
OTHER_ADDRESS = "198.51.100.99"
NEW_PASSWORD = "Fresh#Passw0rd"

WRONG_CREDENTIALS = "Wrong username or password."
LOCKED_AFTER_FAILURES = (
    "This account is locked after repeated failed logins. Try again in %(minutes)d "
    "minutes or ask your administrator to unlock it."
)
LOCKED_BY_ADMIN = "This account is locked. Ask your administrator to unlock it."
ADDRESS_BLOCKED = "Too many failed logins from this address. Try again in 15 minutes."
CHARACTER_CLASS = (
    "The password must contain at least %(n)d kind of character among lower-case "
    "letters, upper-case letters, digits and symbols."
)
CHARACTER_CLASSES = (
    "The password must contain at least %(n)d kinds of character among lower-case "
    "letters, upper-case letters, digits and symbols."
)
MUST_DIFFER = "The new password must differ from the current one."

# The catalogue may not be compiled yet. Without the .mo file gettext returns the English
# msgid, so the assertions below compare with whatever gettext gives in zh-hans and only insist
# on Chinese text once the catalogue exists.
MO_FILE = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def zh(message: str, *, plural: str | None = None, count: int = 1, **params) -> str:
    """The message as a zh-hans request renders it (HTML-escaped, as in the page)."""
    with translation.override("zh-hans"):
        text = ngettext(message, plural, count) if plural else gettext(message)
    if MO_FILE.exists():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), f"untranslated: {message}"
    return escape(text % params if params else text)


def attempt(client, username, password, *, ip=ADDRESS, xff=None, next_url=None):
    extra = {"REMOTE_ADDR": ip}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(LOGIN_URL, data, **extra)


def errors(response) -> list[str]:
    return [escape(e) for e in response.context["form"].non_field_errors()]


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def events(kind, **filters):
    return SecurityEvent.objects.filter(kind=kind, **filters)


def set_locked_until(user, when):
    User.objects.filter(pk=user.pk).update(locked_until=when)


@pytest.fixture
def user(db):
    return UserFactory(username="zhangsan", role=Role.OFFICE_STAFF)


# Account lockout ---------------------------------------------------------------------------


def test_five_failures_lock_the_account_for_fifteen_minutes(client, user):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        response = attempt(client, user.username, "wrong")
        assert errors(response) == [zh(WRONG_CREDENTIALS)]
    user.refresh_from_db()
    assert user.locked_until is None
    assert user.failed_login_count == settings.LOGIN_FAILURE_LIMIT - 1

    response = attempt(client, user.username, "wrong")

    user.refresh_from_db()
    expected = timezone.now() + timedelta(minutes=15)
    assert abs(user.locked_until - expected) < timedelta(seconds=30)
    assert user.failed_login_count == 0
    assert errors(response) == [zh(LOCKED_AFTER_FAILURES, minutes=15)]
    assert not logged_in(client)


def test_locked_account_refuses_the_correct_password_until_the_lock_ends(client, user):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, user.username, "wrong")

    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 200
    assert not logged_in(client)
    assert zh(LOCKED_AFTER_FAILURES, minutes=15) in response.content.decode()

    set_locked_until(user, timezone.now() + timedelta(minutes=3))
    response = attempt(client, user.username, PASSWORD)
    assert errors(response) == [zh(LOCKED_AFTER_FAILURES, minutes=3)]

    set_locked_until(user, timezone.now() - timedelta(seconds=1))
    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in(client)


def test_an_expired_lock_starts_a_fresh_count(client, user):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, user.username, "wrong")
    set_locked_until(user, timezone.now() - timedelta(seconds=1))

    response = attempt(client, user.username, "wrong")

    assert errors(response) == [zh(WRONG_CREDENTIALS)]
    user.refresh_from_db()
    assert not user.is_locked
    assert user.failed_login_count == 1


def test_fewer_than_five_failures_do_not_lock_and_a_success_resets_the_count(client, user):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        attempt(client, user.username, "wrong")

    response = attempt(client, user.username, PASSWORD)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.failed_login_count == 0
    assert user.locked_until is None

    client.post(LOGOUT_URL)
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        attempt(client, user.username, "wrong")
    user.refresh_from_db()
    assert not user.is_locked
    assert attempt(client, user.username, PASSWORD).status_code == 302


def test_a_lock_ends_the_sessions_the_account_already_has(client, user):
    login(client, user)
    assert client.get("/").status_code == 200

    set_locked_until(user, timezone.now() + timedelta(minutes=15))

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_an_administrator_lock_asks_for_the_administrator(client, world):
    target = world.office_staff_a
    login(client, world.office_admin_a)
    assert client.post(f"/users/{target.pk}/lock/").status_code == 302
    client.post(LOGOUT_URL)

    response = attempt(client, target.username, PASSWORD)

    assert errors(response) == [zh(LOCKED_BY_ADMIN)]
    assert not logged_in(client)


# The real client address -------------------------------------------------------------------


def test_spoofed_forwarded_for_does_not_avoid_the_account_lock(client, user):
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, user.username, "wrong", xff=f"203.0.113.{n + 1}")

    user.refresh_from_db()
    assert user.is_locked
    response = attempt(client, user.username, PASSWORD, xff="203.0.113.200")
    assert not logged_in(client)
    assert errors(response) == [zh(LOCKED_AFTER_FAILURES, minutes=15)]
    addresses = set(events(SecurityEventKind.LOGIN_FAILED).values_list("ip_address", flat=True))
    assert addresses == {ADDRESS}


def test_spoofed_forwarded_for_does_not_avoid_the_address_block(client, world):
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        attempt(client, f"nobody{n}", "wrong", xff=f"203.0.113.{n + 1}, 192.0.2.{n + 1}")

    response = attempt(client, world.office_admin_a.username, PASSWORD, xff="203.0.113.250")

    assert errors(response) == [zh(ADDRESS_BLOCKED)]
    assert not logged_in(client)


def test_without_trusted_proxies_the_recorded_address_is_remote_addr(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    attempt(client, user.username, "wrong", xff="203.0.113.5")
    attempt(client, user.username, PASSWORD, xff="203.0.113.6")

    failed = events(SecurityEventKind.LOGIN_FAILED).get()
    success = events(SecurityEventKind.LOGIN).get()
    assert failed.ip_address == success.ip_address == ADDRESS


def test_behind_one_trusted_proxy_the_last_forwarded_entry_is_the_client(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote "6.6.6.6" itself; our proxy appended the address it saw.
    attempt(client, user.username, PASSWORD, ip="10.0.0.2", xff="6.6.6.6, 203.0.113.7")

    assert events(SecurityEventKind.LOGIN).get().ip_address == "203.0.113.7"


def test_behind_one_trusted_proxy_spoofed_entries_do_not_avoid_the_address_block(
    client, world, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        attempt(client, f"nobody{n}", "wrong", ip="10.0.0.2", xff=f"192.0.2.{n}, 203.0.113.7")

    blocked = attempt(
        client,
        world.office_admin_a.username,
        PASSWORD,
        ip="10.0.0.2",
        xff="192.0.2.250, 203.0.113.7",
    )
    assert errors(blocked) == [zh(ADDRESS_BLOCKED)]

    other = attempt(
        client,
        world.office_admin_a.username,
        PASSWORD,
        ip="10.0.0.2",
        xff="203.0.113.7, 203.0.113.8",
    )
    assert other.status_code == 302


def test_a_malformed_forwarded_entry_falls_back_to_remote_addr(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    response = attempt(client, user.username, PASSWORD, xff="unknown")

    assert response.status_code == 302
    assert events(SecurityEventKind.LOGIN).get().ip_address == ADDRESS


# Address block -----------------------------------------------------------------------------


def test_failures_across_usernames_block_the_address_but_not_others(client, world):
    known = [world.office_staff_a, world.clerk_a1, world.evaluator_a]
    names = [u.username for u in known] + ["no-such-user", "admin", "root"]
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        attempt(client, names[n % len(names)], "wrong")
    assert not any(User.objects.get(pk=u.pk).is_locked for u in known)

    response = attempt(client, world.office_admin_a.username, PASSWORD)

    assert errors(response) == [zh(ADDRESS_BLOCKED)]
    assert not logged_in(client)
    blocked = events(SecurityEventKind.ADDRESS_BLOCKED).get()
    assert blocked.ip_address == ADDRESS
    assert blocked.username == world.office_admin_a.username
    assert blocked.outcome == Outcome.FAILURE

    response = attempt(client, world.office_admin_a.username, PASSWORD, ip=OTHER_ADDRESS)
    assert response.status_code == 302
    assert logged_in(client)


def test_one_failure_fewer_than_the_limit_does_not_block(client, world):
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        attempt(client, f"nobody{n}", "wrong")

    assert attempt(client, world.office_admin_a.username, PASSWORD).status_code == 302


def test_the_address_block_ends_fifteen_minutes_after_the_failures(client, world):
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        attempt(client, f"nobody{n}", "wrong")
    assert errors(attempt(client, world.office_admin_a.username, PASSWORD))

    # Security events are append-only; only a test may move them back in time.
    with pgtrigger.ignore("accounts.SecurityEvent:security_event_append_only"):
        SecurityEvent.objects.update(created_at=timezone.now() - timedelta(minutes=16))

    assert attempt(client, world.office_admin_a.username, PASSWORD).status_code == 302


# No username enumeration -------------------------------------------------------------------


def test_wrong_password_and_unknown_username_look_the_same(client, user):
    wrong_password = attempt(client, user.username, "wrong")
    unknown_user = attempt(client, "no-such-user", "wrong")

    assert wrong_password.status_code == unknown_user.status_code == 200
    assert errors(wrong_password) == errors(unknown_user) == [zh(WRONG_CREDENTIALS)]


def test_inactive_user_cannot_log_in_and_is_told_nothing_more(client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = attempt(client, user.username, PASSWORD)

    assert response.status_code == 200
    assert errors(response) == [zh(WRONG_CREDENTIALS)]
    assert not logged_in(client)
    assert not events(SecurityEventKind.LOGIN).exists()


def test_deactivation_ends_an_existing_session(client, user):
    login(client, user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert client.get("/").status_code == 302


def test_login_redirects_only_to_this_site(client, user):
    response = attempt(client, user.username, PASSWORD, next_url="https://evil.example/")
    assert response["Location"] == "/"

    client.post(LOGOUT_URL)
    response = attempt(client, user.username, PASSWORD, next_url="/users/")
    assert response["Location"] == "/users/"


# The office administrator sees and lifts locks ---------------------------------------------


def lock_by_failures(client, target):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, target.username, "wrong")
    target.refresh_from_db()
    assert target.is_locked


def test_office_admin_sees_the_lock_and_unlocks(client, world):
    target = world.clerk_a1
    admin_client = login(type(client)(), world.office_admin_a)
    unlock_url = f"/users/{target.pk}/unlock/"
    page = admin_client.get("/users/").content.decode()
    assert "badge text-bg-danger" not in page
    assert unlock_url not in page

    lock_by_failures(client, target)

    page = admin_client.get("/users/").content.decode()
    assert '<span class="badge text-bg-danger"' in page
    assert zh("Locked") in page
    assert unlock_url in page

    response = admin_client.post(unlock_url)

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.locked_until is None
    assert target.failed_login_count == 0
    unlocked = events(SecurityEventKind.ACCOUNT_UNLOCKED).get()
    assert unlocked.user_id == world.office_admin_a.pk
    assert unlocked.detail["target"] == target.username
    assert unlocked.tenant_id == world.county_a.pk
    assert attempt(client, target.username, PASSWORD).status_code == 302


def test_office_admin_of_another_county_cannot_unlock(client, world):
    target = world.clerk_a1
    lock_by_failures(client, target)
    login(client, world.office_admin_b)

    response = client.post(f"/users/{target.pk}/unlock/")

    assert response.status_code == 404
    target.refresh_from_db()
    assert target.is_locked
    assert target.username not in client.get("/users/").content.decode()


def test_unlock_is_post_only(client, world):
    target = world.clerk_a1
    lock_by_failures(client, target)
    login(client, world.office_admin_a)

    assert client.get(f"/users/{target.pk}/unlock/").status_code == 405
    target.refresh_from_db()
    assert target.is_locked


# Idle timeout ------------------------------------------------------------------------------


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_session_expires_after_thirty_idle_minutes_and_slides(client, user):
    response = attempt(client, user.username, PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    # A browser-session cookie: the 30 minutes are enforced by the server-side row.
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    thirty = timezone.now() + timedelta(minutes=30)
    assert abs(session_row(client).expire_date - thirty) < timedelta(seconds=30)

    # 25 idle minutes later the session is still alive, and the request extends it.
    Session.objects.filter(pk=session_row(client).pk).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    assert client.get("/").status_code == 200
    thirty = timezone.now() + timedelta(minutes=30)
    assert abs(session_row(client).expire_date - thirty) < timedelta(seconds=30)


def test_login_issues_a_new_session_key(client, user):
    client.get(LOGIN_URL)
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key

    attempt(client, user.username, PASSWORD)

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted
    assert not Session.objects.filter(session_key=planted).exists()


def test_an_admin_reset_ends_the_users_sessions(client, world):
    target = world.office_staff_a
    attempt(client, target.username, PASSWORD)
    admin_client = login(type(client)(), world.office_admin_a)

    admin_client.post(f"/users/{target.pk}/reset-password/", {"password": "Reset#Pass12"})

    assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_changing_the_password_keeps_this_session_and_ends_the_others(client, user):
    other = type(client)()
    attempt(other, user.username, PASSWORD, ip=OTHER_ADDRESS)
    attempt(client, user.username, PASSWORD)

    client.post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert client.get("/").status_code == 200
    assert other.get("/")["Location"].startswith(LOGIN_URL)


def test_an_expired_session_is_logged_out(client, user):
    attempt(client, user.username, PASSWORD)
    assert client.get("/").status_code == 200

    Session.objects.filter(pk=session_row(client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/"
    assert client.get("/users/").status_code == 302


# Forced password change --------------------------------------------------------------------


def create_by_admin(client, world) -> User:
    login(client, world.office_admin_a)
    response = client.post(
        "/users/new/",
        {
            "username": "wangwu",
            "display_name": "王五",
            "role": Role.OFFICE_STAFF,
            "password": "Initial#Pass1",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    client.post(LOGOUT_URL)
    return User.objects.get(username="wangwu")


def test_admin_created_user_must_change_password_before_anything_else(client, world):
    created = create_by_admin(client, world)
    assert created.must_change_password

    assert attempt(client, "wangwu", "Initial#Pass1").status_code == 302
    for path in ["/", "/agencies/", "/users/", LOGIN_URL, "/audit/security/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == PASSWORD_URL, path

    api = client.get("/api/v1/agencies/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "password_change_required"
    assert client.post("/api/v1/agencies/", {}).status_code == 403

    page = client.get(PASSWORD_URL)
    assert page.status_code == 200
    assert (
        zh(
            "Your password was set by an administrator. Choose your own password before you "
            "continue."
        )
        in page.content.decode()
    )


def test_admin_reset_forces_a_change_and_the_change_clears_it(client, world):
    target = world.office_staff_a
    login(client, world.office_admin_a)
    response = client.post(f"/users/{target.pk}/reset-password/", {"password": "Reset#Pass12"})
    assert response.status_code == 302
    client.post(LOGOUT_URL)

    assert attempt(client, target.username, "Reset#Pass12").status_code == 302
    assert client.get("/")["Location"] == PASSWORD_URL

    response = client.post(
        PASSWORD_URL,
        {
            "old_password": "Reset#Pass12",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    target.refresh_from_db()
    assert not target.must_change_password
    assert target.password_changed_at is not None
    assert target.check_password(NEW_PASSWORD)

    client.post(LOGOUT_URL)
    assert errors(attempt(client, target.username, "Reset#Pass12")) == [zh(WRONG_CREDENTIALS)]
    assert attempt(client, target.username, NEW_PASSWORD).status_code == 302


def test_logout_stays_reachable_while_a_change_is_required(client, world):
    create_by_admin(client, world)
    attempt(client, "wangwu", "Initial#Pass1")

    response = client.post(LOGOUT_URL)

    assert response["Location"] == LOGIN_URL
    assert not logged_in(client)


def expected_errors(password: str, user: User) -> list[str]:
    with translation.override("zh-hans"):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            return [escape(m) for m in exc.messages]
    return []


def post_new_password(client, password):
    return client.post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )


@pytest.mark.parametrize(
    ("password", "too_short", "too_few_classes"),
    [
        ("Ab1#xyz", True, False),  # 7 characters, 4 classes
        ("Ab1", True, False),
        ("lowercaseonly", False, True),
        ("lowercase2024", False, True),  # lower and digits: 2 classes
        ("UPPERCASE2024", False, True),
        ("pass word here", False, True),  # lower and space: 2 classes
        ("abc12", True, True),
        ("12345678", False, True),  # also common and entirely numeric
    ],
)
def test_weak_new_passwords_are_refused(client, world, password, too_short, too_few_classes):
    user = world.office_staff_a
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    login(client, user)

    response = post_new_password(client, password)

    assert response.status_code == 200
    # The rules are also the field's help text, so look at the errors only.
    shown = [escape(e) for e in response.context["form"].errors["new_password1"]]
    assert (zh(CHARACTER_CLASS, plural=CHARACTER_CLASSES, count=3, n=3) in shown) is too_few_classes
    expected = expected_errors(password, user)
    assert any("8" in m for m in expected) is too_short
    assert shown == expected
    page = response.content.decode()
    for message in shown:
        assert f'<div class="invalid-feedback d-block">{message}</div>' in page
    user.refresh_from_db()
    assert user.must_change_password
    assert user.check_password(PASSWORD)
    assert client.get("/")["Location"] == PASSWORD_URL


@pytest.mark.parametrize(
    "password", ["Lower-and-Upper", "lower#digit9", "ABC-def-123", "密码Abc12345"]
)
def test_three_character_classes_and_eight_characters_are_enough(client, world, password):
    user = world.office_staff_a
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    login(client, user)

    response = post_new_password(client, password)

    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password(password)


def test_new_password_must_differ_from_the_old_one(client, world):
    user = world.office_staff_a
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    login(client, user)

    response = client.post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_password1"] == [zh(MUST_DIFFER)]
    assert zh(MUST_DIFFER) in response.content.decode()
    user.refresh_from_db()
    assert user.must_change_password
    assert user.password_changed_at is None


def test_password_change_needs_the_current_password_and_matching_copies(client, world):
    user = world.office_staff_a
    login(client, user)

    wrong_old = client.post(
        PASSWORD_URL,
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    mismatch = client.post(
        PASSWORD_URL,
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD + "x",
        },
    )

    assert zh("The current password is wrong.") in wrong_old.content.decode()
    assert zh("The two passwords differ.") in mismatch.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not events(SecurityEventKind.PASSWORD_CHANGED).exists()


def test_password_page_needs_a_login(client, db):
    assert client.get(PASSWORD_URL)["Location"] == LOGIN_URL


# Login history -----------------------------------------------------------------------------


def test_security_events_record_the_login_history(client, world):
    user = world.office_staff_a
    attempt(client, user.username, "wrong")
    attempt(client, "no-such-user", "wrong")
    attempt(client, user.username, PASSWORD)
    client.post(
        PASSWORD_URL,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        REMOTE_ADDR=ADDRESS,
    )
    client.post(LOGOUT_URL, REMOTE_ADDR=ADDRESS)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, user.username, "wrong", ip=OTHER_ADDRESS)

    rows = list(
        SecurityEvent.objects.order_by("created_at", "id").values_list(
            "kind", "outcome", "user_id", "username", "ip_address", "tenant_id"
        )
    )

    K, S, F = SecurityEventKind, Outcome.SUCCESS, Outcome.FAILURE
    me, name, tenant = user.pk, user.username, world.county_a.pk
    assert rows == [
        (K.LOGIN_FAILED, F, me, name, ADDRESS, tenant),
        (K.LOGIN_FAILED, F, None, "no-such-user", ADDRESS, None),
        (K.LOGIN, S, me, name, ADDRESS, tenant),
        (K.PASSWORD_CHANGED, S, me, name, ADDRESS, tenant),
        (K.LOGOUT, S, me, name, ADDRESS, tenant),
        *[(K.LOGIN_FAILED, F, me, name, OTHER_ADDRESS, tenant)] * 5,
        (K.ACCOUNT_LOCKED, F, me, name, OTHER_ADDRESS, tenant),
    ]
    assert events(K.ACCOUNT_LOCKED).get().detail == {"by": "failed_logins"}
    assert set(events(K.LOGIN_FAILED).values_list("detail__reason", flat=True)) == {"credentials"}


def test_a_refused_login_of_a_locked_account_is_recorded(client, user):
    set_locked_until(user, timezone.now() + timedelta(minutes=10))

    attempt(client, user.username, PASSWORD)

    event = events(SecurityEventKind.LOGIN_FAILED).get()
    assert (event.user_id, event.username, event.ip_address) == (user.pk, user.username, ADDRESS)
    assert event.detail == {"reason": "locked"}


def test_logout_is_post_only_and_ends_the_session(client, user):
    attempt(client, user.username, PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert client.get(LOGOUT_URL).status_code == 405
    assert logged_in(client)

    response = client.post(LOGOUT_URL)

    assert response["Location"] == LOGIN_URL
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302
    assert events(SecurityEventKind.LOGOUT).count() == 1
    client.post(LOGOUT_URL)  # anonymous logout records nothing
    assert events(SecurityEventKind.LOGOUT).count() == 1
