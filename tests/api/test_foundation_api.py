import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", password="correct-horse-42")


def test_token_login_and_use(api, user):
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "correct-horse-42"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/whoami/")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert me.json()["roles"] == ["applicant"]


def test_wrong_password_gives_chinese_401_error_body(api, user):
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "invalid_credentials"
    assert body["error"]["message"] == "用户名或密码错误。"


def test_missing_field_gives_400_error_body(api):
    response = api.post("/api/v1/auth/token/", {"username": "alice"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "password" in response.json()["error"]["fields"]
    assert "必需字段" in response.json()["error"]["message"]


def test_malformed_json_gives_400(api):
    response = api.post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_unauthenticated_gets_401_or_403_with_error_body(api):
    response = api.get("/api/v1/whoami/")
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_authenticated"


def test_unknown_endpoint_is_404(api):
    response = api.get("/api/v1/nothing-here/")
    assert response.status_code == 404


def test_openapi_schema(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/vnd.oai.openapi+json") else None
    if schema is None:
        import yaml

        schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]
