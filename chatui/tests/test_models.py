import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError

pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_is_normalised():
    # given
    User = get_user_model()
    # when
    user = User.objects.create_user("Ada.Lovelace@Example.COM", "correct horse battery")
    # then
    assert user.email == "ada.lovelace@example.com"
    assert User.USERNAME_FIELD == "email"
    assert authenticate(username="ada.lovelace@example.com", password="correct horse battery")


def test_email_is_required_and_unique():
    User = get_user_model()
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", "pw")
    User.objects.create_user("bob@example.com", "pw")
    with pytest.raises(ValidationError):
        User.objects.create_user("BOB@example.com", "pw")


def test_invalid_email_is_refused():
    with pytest.raises(ValidationError):
        get_user_model().objects.create_user("not-an-email", "pw")


def test_superuser_is_staff():
    admin = get_user_model().objects.create_superuser("root@example.com", "pw")
    assert admin.is_staff and admin.is_superuser
