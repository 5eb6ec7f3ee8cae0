"""The notifications page and the bell: the user's own notifications, unread first, marked
read one by one or all at once; nobody reads or marks another user's."""

import pytest
from django.urls import reverse

from accounts.models import Notification
from accounts.services import notify
from tests.conftest import login

LIST = reverse("accounts:notification-list")
READ = reverse("accounts:notification-read")


@pytest.fixture
def notes(world):
    w = world
    old = notify([w.clerk_a1], title="旧通知", body="已读过的", url="/campaigns/")[0]
    Notification.objects.filter(pk=old.pk).update(read_at="2026-01-01T08:00:00+08:00")
    first = notify([w.clerk_a1], title="专项治理启动", body="请按时报送")[0]
    second = notify([w.clerk_a1], title="报告被退回", body="补充数据")[0]
    other = notify([w.clerk_a2], title="别人的通知")[0]
    return w, old, first, second, other


def test_list_shows_own_notifications_unread_first(client, notes):
    w, old, first, second, other = notes
    login(client, w.clerk_a1)
    response = client.get(LIST)
    assert response.status_code == 200
    listed = list(response.context["object_list"])
    assert listed == [second, first, old]
    assert "别人的通知" not in response.text
    assert response.context["unread_notifications"] == 2
    assert 'data-testid="unread-badge">2<' in response.text
    assert response.text.count('data-unread="1"') == 2


def test_mark_one_then_all(client, notes):
    w, old, first, second, other = notes
    login(client, w.clerk_a1)
    response = client.post(READ, {"ids": [first.pk, other.pk]})
    assert response.status_code == 302 and response["Location"] == LIST
    first.refresh_from_db()
    other.refresh_from_db()
    assert first.read_at is not None
    assert other.read_at is None  # not the clerk's: untouched
    assert client.get(LIST).context["unread_notifications"] == 1
    client.post(READ)
    assert Notification.objects.filter(user=w.clerk_a1, read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=other.pk).read_at is None
    assert 'data-testid="unread-badge"' not in client.get(LIST).text


def test_next_must_be_local(client, notes):
    w, *_rest = notes
    login(client, w.clerk_a1)
    assert client.post(READ, {"next": "https://evil.example/"})["Location"] == LIST
    assert client.post(READ, {"next": "/campaigns/"})["Location"] == "/campaigns/"


def test_bell_counts_on_every_page(client, notes):
    w, *_rest = notes
    login(client, w.clerk_a1)
    page = client.get(reverse("home")).text
    assert 'data-testid="notification-bell"' in page
    assert 'data-testid="unread-badge">2<' in page
    login(client, w.office_staff_a)
    assert 'data-testid="unread-badge"' not in client.get(reverse("home")).text


def test_anonymous_is_sent_to_login(client, notes):
    assert client.get(LIST).status_code == 302
    assert client.post(READ).status_code == 302
