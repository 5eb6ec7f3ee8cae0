from tests.conftest import login


def test_office_admin_sees_home(client, world):
    login(client, world.office_admin_a)
    response = client.get("/")
    assert response.status_code == 200
    assert "丰宁满族自治县" in response.content.decode()
