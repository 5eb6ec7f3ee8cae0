"""The county office administrator manages accounts, and reads the audit trail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role, SecurityEventKind
from accounts.models import SecurityEvent, User
from tests.conftest import login
from tests.factories import AgencyFactory, UserFactory

NEW_PASSWORD = "Xin@mima2026"


def user_form(**overrides) -> dict:
    data = {
        "username": "zhang.san",
        "display_name": "张三",
        "phone": "13800000000",
        "email": "",
        "role": Role.AGENCY_CLERK,
        "agency": "",
        "password": NEW_PASSWORD,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_form(user, **overrides) -> dict:
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "email": user.email,
        "role": user.role,
        "agency": user.agency_id or "",
    }
    data.update(overrides)
    return data


def events(kind, **filters):
    return SecurityEvent.objects.filter(kind=kind, **filters)


def fresh(user):
    return User.objects.get(pk=user.pk)


# Creating accounts --------------------------------------------------------------------------


def test_office_admin_creates_user_who_must_change_password(client, world):
    login(client, world.office_admin_a)
    assert client.get("/users/new/").status_code == 200
    response = client.post("/users/new/", user_form(agency=world.a1.pk))
    assert response.status_code == 302
    assert response["Location"] == "/users/"
    user = User.objects.get(username="zhang.san")
    assert (user.role, user.tenant, user.agency, user.display_name) == (
        Role.AGENCY_CLERK,
        world.county_a,
        world.a1,
        "张三",
    )
    assert user.is_active and not user.is_staff and not user.is_superuser
    assert user.must_change_password
    assert user.check_password(NEW_PASSWORD)
    event = events(SecurityEventKind.PERMISSION_CHANGED).get(detail__target="zhang.san")
    assert event.username == "oa-a"
    assert event.tenant == world.county_a
    assert event.detail["after"]["role"] == Role.AGENCY_CLERK
    assert event.detail["after"]["agency"] == world.a1.pk

    # The new user is sent to change the password before anything else.
    login(client, user)
    response = client.get("/agencies/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"
    api = client.get("/api/v1/agencies/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "password_change_required"


def test_office_admin_creates_office_staff(client, world):
    login(client, world.office_admin_a)
    response = client.post("/users/new/", user_form(role=Role.OFFICE_STAFF))
    assert response.status_code == 302
    user = User.objects.get(username="zhang.san")
    assert (user.role, user.tenant, user.agency) == (Role.OFFICE_STAFF, world.county_a, None)


def _refused(response, field=None):
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors
    if field:
        assert field in errors, errors
    assert not User.objects.filter(username="zhang.san").exists()


def test_cannot_create_platform_admin(client, world):
    login(client, world.office_admin_a)
    _refused(client.post("/users/new/", user_form(role=Role.PLATFORM_ADMIN)), "role")
    form = client.get("/users/new/").context["form"]
    assert Role.PLATFORM_ADMIN not in [value for value, _label in form.fields["role"].choices]
    assert "tenant" not in form.fields


def test_cannot_attach_agency_of_another_county(client, world):
    login(client, world.office_admin_a)
    _refused(client.post("/users/new/", user_form(agency=world.b1.pk)), "agency")


def test_cannot_attach_inactive_agency(client, world):
    closed = AgencyFactory(tenant=world.county_a, is_active=False)
    login(client, world.office_admin_a)
    _refused(client.post("/users/new/", user_form(agency=closed.pk)), "agency")


@pytest.mark.parametrize("role", [Role.AGENCY_CLERK, Role.AGENCY_LEADER])
def test_agency_roles_require_an_agency(client, world, role):
    login(client, world.office_admin_a)
    _refused(client.post("/users/new/", user_form(role=role, agency="")), "agency")


def test_office_roles_take_no_agency(client, world):
    login(client, world.office_admin_a)
    _refused(
        client.post("/users/new/", user_form(role=Role.OFFICE_STAFF, agency=world.a1.pk)), "agency"
    )


def test_county_office_cannot_create_city_viewer(client, world):
    login(client, world.office_admin_a)
    response = client.post("/users/new/", user_form(role=Role.CITY_VIEWER))
    _refused(response)
    assert response.context["form"].non_field_errors()


def test_county_office_cannot_make_a_user_city_viewer(client, world):
    login(client, world.office_admin_a)
    response = client.post(
        f"/users/{world.office_staff_a.pk}/edit/",
        edit_form(world.office_staff_a, role=Role.CITY_VIEWER),
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert fresh(world.office_staff_a).role == Role.OFFICE_STAFF


@pytest.mark.parametrize(
    "password", ["short1A", "alllowercaseletters", "zhang.san2026Z", "Password123"]
)
def test_weak_initial_password_is_refused(client, world, password):
    login(client, world.office_admin_a)
    _refused(client.post("/users/new/", user_form(agency=world.a1.pk, password=password)))


def test_duplicate_username_is_refused(client, world):
    login(client, world.office_admin_a)
    response = client.post(
        "/users/new/", user_form(username=world.office_admin_b.username, agency=world.a1.pk)
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username=world.office_admin_b.username).count() == 1


# Editing, roles -----------------------------------------------------------------------------


def test_role_change_records_permission_event(client, world):
    login(client, world.office_admin_a)
    response = client.post(
        f"/users/{world.clerk_a1.pk}/edit/", edit_form(world.clerk_a1, role=Role.AGENCY_LEADER)
    )
    assert response.status_code == 302
    assert fresh(world.clerk_a1).role == Role.AGENCY_LEADER
    event = events(SecurityEventKind.PERMISSION_CHANGED).get(detail__target="clerk-a1")
    assert event.user == world.office_admin_a
    assert event.tenant == world.county_a
    assert event.detail["before"]["role"] == Role.AGENCY_CLERK
    assert event.detail["after"]["role"] == Role.AGENCY_LEADER
    assert event.detail["before"]["agency"] == event.detail["after"]["agency"] == world.a1.pk


def test_agency_change_records_permission_event(client, world):
    login(client, world.office_admin_a)
    client.post(f"/users/{world.clerk_a1.pk}/edit/", edit_form(world.clerk_a1, agency=world.a2.pk))
    assert fresh(world.clerk_a1).agency == world.a2
    event = events(SecurityEventKind.PERMISSION_CHANGED).get(detail__target="clerk-a1")
    assert (event.detail["before"]["agency"], event.detail["after"]["agency"]) == (
        world.a1.pk,
        world.a2.pk,
    )


def test_edit_without_permission_change_records_no_event(client, world):
    login(client, world.office_admin_a)
    response = client.post(
        f"/users/{world.clerk_a1.pk}/edit/", edit_form(world.clerk_a1, display_name="新名字")
    )
    assert response.status_code == 302
    assert fresh(world.clerk_a1).display_name == "新名字"
    assert not events(SecurityEventKind.PERMISSION_CHANGED).exists()


def test_edit_cannot_promote_to_platform_admin(client, world):
    login(client, world.office_admin_a)
    response = client.post(
        f"/users/{world.office_staff_a.pk}/edit/",
        edit_form(world.office_staff_a, role=Role.PLATFORM_ADMIN),
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    user = fresh(world.office_staff_a)
    assert user.role == Role.OFFICE_STAFF and not user.is_superuser


def test_edit_cannot_move_user_to_another_countys_agency(client, world):
    login(client, world.office_admin_a)
    response = client.post(
        f"/users/{world.clerk_a1.pk}/edit/", edit_form(world.clerk_a1, agency=world.b1.pk)
    )
    assert response.status_code == 200
    assert fresh(world.clerk_a1).agency == world.a1


def test_cannot_edit_users_of_other_jurisdictions(client, world):
    login(client, world.office_admin_a)
    for other in (
        world.office_admin_b,
        world.city_viewer,
        world.platform_admin,
        world.office_admin_c,
    ):
        assert client.get(f"/users/{other.pk}/edit/").status_code == 404
        response = client.post(
            f"/users/{other.pk}/edit/", edit_form(other, display_name="被改了", agency="")
        )
        assert response.status_code == 404
        assert fresh(other).display_name != "被改了"


def test_user_list_is_scoped(client, world):
    login(client, world.office_admin_a)
    response = client.get("/users/")
    assert response.status_code == 200
    names = {u.username for u in response.context["object_list"]}
    assert names == {"oa-a", "os-a", "clerk-a1", "leader-a1", "clerk-a2", "ev-a"}
    assert {u.username for u in client.get("/users/?role=agency_clerk").context["object_list"]} == {
        "clerk-a1",
        "clerk-a2",
    }
    assert {
        u.username for u in client.get(f"/users/?agency={world.a1.pk}").context["object_list"]
    } == {"clerk-a1", "leader-a1"}


# Password reset, lock, activation -----------------------------------------------------------


def test_reset_password(client, world):
    target = world.clerk_a1
    login(client, world.office_admin_a)
    url = f"/users/{target.pk}/reset-password/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"password": NEW_PASSWORD})
    assert response.status_code == 302
    user = fresh(target)
    assert user.must_change_password
    assert user.check_password(NEW_PASSWORD)
    event = events(SecurityEventKind.PASSWORD_RESET).get()
    assert event.user == world.office_admin_a
    assert event.tenant == world.county_a
    assert event.detail["target"] == "clerk-a1"
    assert NEW_PASSWORD not in str(event.detail)


def test_reset_password_refuses_weak_password(client, world):
    login(client, world.office_admin_a)
    old_hash = world.clerk_a1.password
    response = client.post(f"/users/{world.clerk_a1.pk}/reset-password/", {"password": "123"})
    assert response.status_code == 400
    assert response.context["form"].errors["password"]
    user = fresh(world.clerk_a1)
    assert user.password == old_hash and not user.must_change_password
    assert not events(SecurityEventKind.PASSWORD_RESET).exists()


def test_reset_password_of_another_county_is_404(client, world):
    login(client, world.office_admin_a)
    url = f"/users/{world.office_admin_b.pk}/reset-password/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"password": NEW_PASSWORD}).status_code == 404
    assert not fresh(world.office_admin_b).must_change_password


def test_lock_and_unlock(client, world):
    target = world.clerk_a1
    login(client, world.office_admin_a)
    response = client.post(f"/users/{target.pk}/lock/")
    assert response.status_code == 302
    user = fresh(target)
    assert user.is_locked
    assert user.locked_until > timezone.now() + timedelta(days=365)
    event = events(SecurityEventKind.ACCOUNT_LOCKED).get()
    assert (event.user, event.tenant, event.detail["target"]) == (
        world.office_admin_a,
        world.county_a,
        "clerk-a1",
    )

    # A locked account's open session stops working.
    login(client, target)
    assert client.get("/agencies/").status_code == 302

    login(client, world.office_admin_a)
    assert client.post(f"/users/{target.pk}/unlock/").status_code == 302
    user = fresh(target)
    assert not user.is_locked and user.locked_until is None
    assert events(SecurityEventKind.ACCOUNT_UNLOCKED, detail__target="clerk-a1").exists()
    login(client, target)
    assert client.get("/agencies/").status_code == 200


def test_deactivate_and_activate(client, world):
    target = world.leader_a1
    login(client, world.office_admin_a)
    assert client.post(f"/users/{target.pk}/deactivate/").status_code == 302
    assert not fresh(target).is_active
    event = events(SecurityEventKind.PERMISSION_CHANGED).get()
    assert event.detail["before"]["is_active"] is True
    assert event.detail["after"]["is_active"] is False
    assert client.post(f"/users/{target.pk}/activate/").status_code == 302
    assert fresh(target).is_active
    assert events(SecurityEventKind.PERMISSION_CHANGED).count() == 2


def test_account_actions_are_post_only(client, world):
    login(client, world.office_admin_a)
    for action in ("lock", "unlock", "activate", "deactivate"):
        assert client.get(f"/users/{world.clerk_a1.pk}/{action}/").status_code == 405
    user = fresh(world.clerk_a1)
    assert user.is_active and not user.is_locked


@pytest.mark.parametrize("action", ["lock", "deactivate"])
def test_cannot_lock_or_deactivate_oneself(client, world, action):
    me = world.office_admin_a
    login(client, me)
    response = client.post(f"/users/{me.pk}/{action}/", follow=True)
    assert response.status_code == 200
    user = fresh(me)
    assert user.is_active and not user.is_locked
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not SecurityEvent.objects.filter(
        kind__in=[SecurityEventKind.ACCOUNT_LOCKED, SecurityEventKind.PERMISSION_CHANGED]
    ).exists()


@pytest.mark.parametrize("action", ["lock", "unlock", "deactivate", "activate"])
def test_actions_on_other_jurisdictions_are_404(client, world, action):
    login(client, world.office_admin_a)
    for other in (world.office_admin_b, world.platform_admin, world.city_viewer):
        assert client.post(f"/users/{other.pk}/{action}/").status_code == 404
        user = fresh(other)
        assert user.is_active and not user.is_locked
    assert not SecurityEvent.objects.exists()


# Audit trail --------------------------------------------------------------------------------


def _audit_actions(client, world):
    """County A's admin and county B's admin each change their own county's records."""
    login(client, world.office_admin_a)
    client.post("/agencies/new/", {"name": "县审计局", "kind": "department"})
    client.post(
        f"/agencies/{world.a2.pk}/edit/",
        {
            "name": world.a2.name,
            "kind": "township",
            "credit_code": world.a2.credit_code,
            "leader_name": "胡镇长",
        },
    )
    client.post("/users/new/", user_form(agency=world.a1.pk))
    client.post(
        f"/users/{world.clerk_a2.pk}/edit/", edit_form(world.clerk_a2, role=Role.AGENCY_LEADER)
    )
    login(client, world.office_admin_b)
    client.post("/agencies/new/", {"name": "隆化县审计局", "kind": "department"})
    client.post("/users/new/", user_form(username="li.si", role=Role.OFFICE_STAFF))


def test_audit_trail_shows_own_county_changes(client, world):
    _audit_actions(client, world)
    login(client, world.office_admin_a)
    response = client.get("/audit/?actor=oa-a")
    assert response.status_code == 200
    rows = {
        (e.pgh_obj_model, e.pgh_label, e.pgh_data.get("name") or e.pgh_data.get("username")): e
        for e in response.context["object_list"]
    }
    assert set(rows) == {
        ("accounts.Agency", "insert", "县审计局"),
        ("accounts.Agency", "update", "大阁镇"),
        ("accounts.User", "insert", "zhang.san"),
        ("accounts.User", "update", "clerk-a2"),
    }
    assert all(e.pgh_context["username"] == "oa-a" for e in rows.values())
    assert set(rows[("accounts.Agency", "update", "大阁镇")].pgh_diff) >= {"leader_name"}
    assert rows[("accounts.Agency", "update", "大阁镇")].pgh_diff["leader_name"][1] == "胡镇长"
    assert rows[("accounts.User", "update", "clerk-a2")].pgh_diff["role"] == [
        Role.AGENCY_CLERK,
        Role.AGENCY_LEADER,
    ]
    # No password hash in the trail.
    assert "password" not in rows[("accounts.User", "insert", "zhang.san")].pgh_data
    page = response.content.decode()
    for text in (
        "县审计局",
        "大阁镇",
        "zhang.san",
        "oa-a",
        "leader_name",
        "胡镇长",
        Role.AGENCY_LEADER,
    ):
        assert text in page


def test_audit_trail_hides_other_counties(client, world):
    _audit_actions(client, world)
    login(client, world.office_admin_a)
    response = client.get("/audit/")
    assert response.status_code == 200
    listed = list(response.context["object_list"])
    assert listed
    assert all(e.pgh_context is None or e.pgh_context.get("username") != "oa-b" for e in listed)
    page = response.content.decode()
    for text in ("隆化县审计局", "li.si", "oa-b", "隆化县财政局"):
        assert text not in page
    assert not list(client.get("/audit/?actor=oa-b").context["object_list"])
    # County B's admin sees their own, not A's.
    login(client, world.office_admin_b)
    page = client.get("/audit/").content.decode()
    assert "隆化县审计局" in page and "li.si" in page
    assert ">县审计局<" not in page and "zhang.san" not in page


def test_audit_trail_filters(client, world):
    _audit_actions(client, world)
    login(client, world.office_admin_a)
    agencies = client.get("/audit/?model=accounts.Agency&actor=oa-a").context["object_list"]
    assert {e.pgh_obj_model for e in agencies} == {"accounts.Agency"}
    inserts = client.get("/audit/?label=insert&actor=oa-a").context["object_list"]
    assert {e.pgh_label for e in inserts} == {"insert"}
    assert len(inserts) == 2
    today = timezone.localdate().isoformat()
    assert len(client.get(f"/audit/?actor=oa-a&since={today}").context["object_list"]) == 4
    assert not client.get("/audit/?actor=oa-a&since=2999-01-01").context["object_list"]
    assert client.get("/audit/?since=not-a-date").status_code == 200


def test_security_events_page_filters_by_kind(client, world):
    login(client, world.office_admin_a)
    client.post(f"/users/{world.clerk_a1.pk}/reset-password/", {"password": NEW_PASSWORD})
    client.post(f"/users/{world.clerk_a2.pk}/lock/")
    client.post(f"/users/{world.leader_a1.pk}/deactivate/")
    login(client, world.office_admin_b)
    client.post(f"/users/{world.office_admin_b.pk}/reset-password/", {"password": NEW_PASSWORD})

    login(client, world.office_admin_a)
    response = client.get("/audit/security/")
    assert response.status_code == 200
    kinds = sorted(e.kind for e in response.context["object_list"])
    assert kinds == sorted(
        [
            SecurityEventKind.PASSWORD_RESET,
            SecurityEventKind.ACCOUNT_LOCKED,
            SecurityEventKind.PERMISSION_CHANGED,
        ]
    )
    resets = client.get("/audit/security/?kind=password_reset").context["object_list"]
    assert [(e.kind, e.detail["target"]) for e in resets] == [
        (SecurityEventKind.PASSWORD_RESET, "clerk-a1")
    ]
    assert not client.get("/audit/security/?kind=export").context["object_list"]
    assert "oa-b" not in response.content.decode()


def test_city_viewer_and_platform_admin_audit_access(client, world):
    login(client, world.city_viewer)
    assert client.get("/audit/").status_code == 403
    login(client, world.platform_admin)
    assert client.get("/audit/").status_code == 200
    assert client.get("/audit/security/").status_code == 200


# Permissions --------------------------------------------------------------------------------


def _management_urls(world):
    pk = world.clerk_a1.pk
    return [
        ("get", "/users/"),
        ("get", "/users/new/"),
        ("post", "/users/new/"),
        ("get", f"/users/{pk}/edit/"),
        ("post", f"/users/{pk}/edit/"),
        ("get", f"/users/{pk}/reset-password/"),
        ("post", f"/users/{pk}/reset-password/"),
        ("post", f"/users/{pk}/lock/"),
        ("post", f"/users/{pk}/unlock/"),
        ("post", f"/users/{pk}/activate/"),
        ("post", f"/users/{pk}/deactivate/"),
        ("get", "/audit/"),
        ("get", "/audit/security/"),
    ]


@pytest.mark.parametrize(
    "who", ["office_staff_a", "clerk_a1", "leader_a1", "evaluator_a", "city_viewer"]
)
def test_other_roles_get_403_on_user_management_and_audit(client, world, who):
    login(client, getattr(world, who))
    for method, url in _management_urls(world):
        data = user_form(agency=world.a1.pk) if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url, response.status_code)
    user = fresh(world.clerk_a1)
    assert user.is_active and not user.is_locked and not user.must_change_password
    assert not User.objects.filter(username="zhang.san").exists()
    assert not SecurityEvent.objects.exists()


def test_anonymous_is_sent_to_login(client, world):
    for method, url in _management_urls(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_deactivated_admin_loses_access(client, world):
    other_admin = UserFactory(username="oa-a2", role=Role.OFFICE_ADMIN, tenant=world.county_a)
    login(client, world.office_admin_a)
    client.post(f"/users/{other_admin.pk}/deactivate/")
    login(client, other_admin)
    assert client.get("/users/").status_code == 302


def test_platform_admin_cannot_attach_an_evaluator_to_another_countys_agency(client, world):
    login(client, world.platform_admin)
    response = client.post(
        "/users/new/", user_form(role=Role.EVALUATOR, agency=world.b1.pk, tenant=world.county_a.pk)
    )
    _refused(response, "agency")
    response = client.post(
        "/users/new/", user_form(role=Role.EVALUATOR, agency=world.a1.pk, tenant=world.county_a.pk)
    )
    assert response.status_code == 302
    assert User.objects.get(username="zhang.san").agency == world.a1
