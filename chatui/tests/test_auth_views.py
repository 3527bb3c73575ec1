import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return get_user_model().objects.create_user("ada@example.com", "analytical-engine-1843")


def test_anonymous_visitors_are_sent_to_login_and_back(client, ada):
    # given an anonymous visitor asking for a page
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    # when they sign in with that next
    response = client.post(
        "/accounts/login/",
        {"username": "ada@example.com", "password": "analytical-engine-1843", "next": "/"},
    )
    # then they land where they were going
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_shows_an_error_and_does_not_sign_in(client, ada):
    response = client.post("/accounts/login/", {"username": ada.email, "password": "nope"})
    assert response.status_code == 200
    assert b"didn&#x27;t match" in response.content or b"didn't match" in response.content
    assert client.get("/").status_code == 302


def test_login_requires_csrf(ada):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": ada.email, "password": "x"})
    assert response.status_code == 403


def test_sign_out_is_a_post(client, ada):
    client.force_login(ada)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
