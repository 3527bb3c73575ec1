"""Sign-in throttling (django-axes) and the password-attempt helper for other forms.

Finding (issue #20, medium): 50 wrong passwords in a row were all answered 200,
then the right one signed in.
"""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from chatui.login_throttle import LoginThrottled, password_attempt_check, password_attempt_failed

pytestmark = pytest.mark.django_db
PASSWORD = "analytical-engine-1843"


@pytest.fixture
def ada() -> Any:
    return get_user_model().objects.create_user("ada@example.com", PASSWORD)


def _sign_in(client: Client, email: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(
        "/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=address
    )


def test_wrong_passwords_lock_the_account_with_the_wait_time(
    client: Client, ada: Any, settings: Any
) -> None:
    # given the limit of wrong passwords is used up
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        _sign_in(client, ada.email, "wrong")
    # when the right password comes, even from another address
    response = _sign_in(client, ada.email, PASSWORD, address="10.0.0.2")
    # then it is refused with a clear message and the wait time
    assert response.status_code == 429
    assert 800 < int(response["Retry-After"]) <= 900  # the 15-minute cool-off
    assert b"Try again in 15 minutes" in response.content
    assert client.get("/").status_code == 302  # not signed in


def test_one_address_trying_many_accounts_is_locked(client: Client, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    users = get_user_model().objects
    for n in range(3):
        _sign_in(client, f"user{n}@example.com", "wrong", address="10.9.9.9")
    users.create_user("fresh@example.com", PASSWORD)
    assert _sign_in(client, "fresh@example.com", PASSWORD, address="10.9.9.9").status_code == 429
    # another address is not affected
    assert _sign_in(client, "fresh@example.com", PASSWORD, address="10.1.1.1").status_code == 302


def test_deleting_the_attempts_in_the_admin_unlocks(
    client: Client, ada: Any, settings: Any, admin_client: Client
) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        _sign_in(client, ada.email, "wrong")
    assert _sign_in(client, ada.email, PASSWORD).status_code == 429
    # the admin lists the attempts and deletes them (the unlock)
    attempt = AccessAttempt.objects.get(username=ada.email)
    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and ada.email.encode() in listing.content
    admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    assert _sign_in(client, ada.email, PASSWORD).status_code == 302


def test_password_attempt_helper_locks_a_subject(settings: Any) -> None:
    # given a share link's password form using the helper
    settings.AXES_FAILURE_LIMIT = 2
    request = RequestFactory().post("/s/abc", REMOTE_ADDR="10.3.3.3")
    password_attempt_check(request, subject="share:abc")
    password_attempt_failed(request, subject="share:abc")
    password_attempt_check(
        RequestFactory().post("/s/abc", REMOTE_ADDR="10.3.3.3"), subject="share:abc"
    )
    password_attempt_failed(request, subject="share:abc")
    # when the next attempt comes, even from another address
    later = RequestFactory().post("/s/abc", REMOTE_ADDR="10.4.4.4")
    with pytest.raises(LoginThrottled) as refused:
        password_attempt_check(later, subject="share:abc")
    # then it is a typed 429 with the wait
    assert refused.value.status == 429 and refused.value.retry_after > 800
    assert "Try again in 15 minutes" in refused.value.message


def test_authenticate_without_a_request_still_works(ada: Any) -> None:
    from django.contrib.auth import authenticate

    assert authenticate(username=ada.email, password=PASSWORD) == ada
