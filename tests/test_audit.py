"""The audit trail: trigger-captured changes with actor context, and append-only tables."""

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.utils import DatabaseError
from pghistory.models import Event, Events

from accounts.models import Agency, SecurityEvent
from integrity.audit import audit_context
from tests.conftest import login

OUR_APPS = {
    "integrity",
    "accounts",
    "domains",
    "supervision",
    "rectification",
    "scoring",
    "monitoring",
    "webhooks",
}
# Security events are themselves audit records; Django's groups and per-user permissions are
# not used (roles and integrity.permissions.MATRIX replace them; is_superuser follows the role).
NOT_AUDITED = {"accounts.SecurityEvent", "accounts.User_groups", "accounts.User_user_permissions"}


def _events(obj):
    return Events.objects.tracks(obj).order_by("pgh_created_at", "pgh_id")


def test_every_model_of_the_project_is_audited():
    tracked = {
        model.pgh_tracked_model._meta.label
        for model in apps.get_models()
        if issubclass(model, Event) and getattr(model, "pgh_tracked_model", None)
    }
    # Auto-created many-to-many tables count too: their changes must be audited, so our
    # many-to-many fields use explicit, audited through models.
    ours = {
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in OUR_APPS and not issubclass(model, Event)
    }
    assert ours - NOT_AUDITED <= tracked, f"Models without an audit trail: {ours - tracked}"


def test_view_write_records_actor_address_and_diff(client, world):
    login(client, world.office_admin_a)
    response = client.post(
        f"/agencies/{world.a1.pk}/edit/",
        {
            "name": "县财政局",
            "kind": "department",
            "credit_code": world.a1.credit_code,
            "ranking_group": "department",
            "leader_name": "王五",
            "contact_name": "",
            "contact_phone": "",
        },
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    update = _events(world.a1).filter(pgh_label="update").get()
    assert update.pgh_diff["leader_name"] == ["", "王五"]
    assert update.pgh_context["username"] == "oa-a"
    assert update.pgh_context["ip"] == "10.1.2.3"
    assert update.pgh_context["tenant"] == world.county_a.pk


def test_bulk_and_raw_sql_changes_are_recorded(world):
    with audit_context(actor=world.office_admin_a, source="test"):
        Agency.objects.filter(pk=world.a1.pk).update(leader_name="批量")
        Agency.objects.bulk_create(
            [
                Agency(
                    tenant=world.county_a,
                    name="新单位",
                    kind="department",
                    ranking_group="department",
                )
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accounts_agency SET contact_phone = %s WHERE id = %s",
                ["0314-1234567", world.a2.pk],
            )
        Agency.objects.filter(name="新单位").delete()
    a1 = _events(world.a1).filter(pgh_label="update").get()
    assert a1.pgh_diff["leader_name"] == ["", "批量"]
    assert a1.pgh_context["username"] == "oa-a"
    raw = _events(world.a2).filter(pgh_label="update").get()
    assert raw.pgh_diff["contact_phone"] == ["", "0314-1234567"]
    labels = list(
        Events.objects.filter(pgh_obj_model="accounts.Agency", pgh_data__name="新单位")
        .values_list("pgh_label", flat=True)
        .order_by("pgh_id")
    )
    assert labels == ["insert", "delete"]


def _event_tables():
    return [
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, Event) and model._meta.app_label in OUR_APPS
    ] + [SecurityEvent._meta.db_table]


def test_every_audit_table_has_an_append_only_trigger(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE %s AND t.tgenabled = 'O'",
            ["%append_only%"],
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert set(_event_tables()) <= protected, set(_event_tables()) - protected


@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'x'", "DELETE FROM {table}"])
def test_audit_tables_refuse_update_and_delete(world, statement):
    from accounts.services import security_event_record

    security_event_record(kind="login", user=world.office_admin_a)
    # Behaviour on the tables the world fixture filled (the trigger test covers the rest).
    for table in [
        "accounts_tenantevent",
        "accounts_agencyevent",
        "accounts_userevent",
        SecurityEvent._meta.db_table,
    ]:
        sql = statement.format(table=table)
        if table == SecurityEvent._meta.db_table:
            sql = sql.replace("pgh_label", "kind")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            count = cursor.fetchone()[0]
        assert count > 0, f"{table} should hold events for this test"
        with (
            pytest.raises(DatabaseError, match="Cannot"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            assert cursor.fetchone()[0] == count


def test_security_event_orm_update_is_refused(world):
    from accounts.services import security_event_record

    event = security_event_record(kind="login", user=world.office_admin_a)
    with pytest.raises(DatabaseError), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).update(username="someone-else")
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()


def test_office_admin_reads_only_own_countys_trail(client, world):
    with audit_context(actor=world.office_admin_b, source="test"):
        Agency.objects.filter(pk=world.b1.pk).update(leader_name="隆化领导")
    with audit_context(actor=world.office_admin_a, source="test"):
        Agency.objects.filter(pk=world.a1.pk).update(leader_name="丰宁领导")
    login(client, world.office_admin_a)
    page = client.get("/audit/?model=accounts.Agency&label=update").content.decode()
    assert "丰宁领导" in page
    assert "隆化领导" not in page
    login(client, world.office_staff_a)
    assert client.get("/audit/").status_code == 403
