"""Demo data and role home pages."""

import pytest
from django.core.management import call_command

from accounts.models import Agency, Tenant, User
from integrity.permissions import MATRIX, NAVIGATION

DEMO = {
    # username: (home title fragment, navigation entries it must see, entries it must not)
    "admin": ("平台管理", {"accounts:tenant-list", "accounts:user-list"}, set()),
    "fn-office": (
        "信用办",
        {"accounts:agency-list", "accounts:user-list", "accounts:audit-list"},
        {"accounts:tenant-list"},
    ),
    "fn-staff": ("信用办", {"accounts:agency-list"}, {"accounts:user-list", "accounts:audit-list"}),
    "fn-clerk": ("县财政局", {"accounts:agency-list"}, {"accounts:user-list"}),
    "fn-leader": ("县财政局", {"accounts:agency-list"}, {"accounts:user-list"}),
    "fn-clerk2": ("大阁镇", {"accounts:agency-list"}, {"accounts:user-list"}),
    "lh-office": ("隆化县", {"accounts:user-list"}, {"accounts:tenant-list"}),
    "cd-city": ("承德市", {"accounts:agency-list"}, {"accounts:user-list"}),
    "evaluator": ("第三方", {"accounts:agency-list"}, {"accounts:user-list"}),
}


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)


def test_seed_demo_is_idempotent(demo):
    counts = (Tenant.objects.count(), Agency.objects.count(), User.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Tenant.objects.count(), Agency.objects.count(), User.objects.count()) == counts
    fengning = Tenant.objects.get(division_code="130826")
    assert fengning.parent.name == "承德市"
    names = set(Agency.objects.filter(tenant=fengning).values_list("name", flat=True))
    assert {"新丰路街道办", "经济开发区管委会", "县财政局", "县发改局", "县政务服务管理办"} <= names


@pytest.mark.parametrize("username", sorted(DEMO))
def test_each_demo_user_logs_in_to_its_home(client, demo, username):
    title, must, must_not = DEMO[username]
    response = client.post("/accounts/login/", {"username": username, "password": "Demo@2026pass"})
    assert response.status_code == 302, response.content.decode()[:500]
    home = client.get(response["Location"])
    assert home.status_code == 200
    page = home.content.decode()
    assert title in page
    nav = home.context["nav_names"]
    assert must <= nav, nav
    assert not (must_not & nav), nav


def test_navigation_only_offers_permitted_pages():
    for entry in NAVIGATION:
        links = entry[1] if isinstance(entry[1], list) else [entry]
        for _label, _name, action in links:
            assert action is None or action in MATRIX


def test_demo_dashboards_have_data(client, demo):
    """With the demo data every figure of the office's dashboard has something to draw, and
    the agency's and the city's dashboards show theirs."""
    from accounts.models import User

    expected = {
        "fn-office": ("issues", "grid", "scores"),
        "fn-clerk": ("issues", "clearance"),
        "cd-city": ("county_work", "county_records"),
    }
    for username, slugs in expected.items():
        client.force_login(User.objects.get(username=username))
        response = client.get("/")
        figures = {f.slug: f for f in response.context["figures"]}
        assert set(slugs) <= set(figures), username
        full = figures if username == "fn-office" else {s: figures[s] for s in slugs}
        for slug, figure in full.items():
            assert not figure.empty, (username, slug)
            assert slug in response.context["charts"]
        assert 'id="dashboard-charts"' in response.text
