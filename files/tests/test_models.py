"""StoredFile invariants: keys under the owner's prefix, tags map strings to strings."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from files.models import StoredFile

pytestmark = pytest.mark.django_db


def _row(owner, **overrides) -> StoredFile:
    fields = {"owner": owner, "key": f"users/{owner.email}/uploads/x_a.txt", "filename": "a.txt"}
    return StoredFile(**{**fields, **overrides})


def test_clean_accepts_a_key_under_the_owner(user) -> None:
    _row(user).full_clean()


@pytest.mark.parametrize(
    "key",
    ["users/bob@example.com/uploads/x", "elsewhere/x", "users/alice@example.com/../bob/x"],
)
def test_clean_rejects_keys_outside_the_owner_prefix(user, key) -> None:
    with pytest.raises(ValidationError) as info:
        _row(user, key=key).full_clean()
    assert "key" in info.value.message_dict


@pytest.mark.parametrize("tags", [{"a": 1}, ["a"], {"a": None}])
def test_clean_rejects_non_string_tags(user, tags) -> None:
    with pytest.raises(ValidationError):
        _row(user, tags=tags).full_clean()


def test_database_refuses_keys_outside_users(user) -> None:
    with pytest.raises(IntegrityError):
        _row(user, key="elsewhere/x").save()


def test_database_refuses_source_tool_on_user_files(user) -> None:
    with pytest.raises(IntegrityError):
        _row(user, source="user", source_tool="zip").save()


def test_key_is_unique(user) -> None:
    _row(user).save()
    with pytest.raises(IntegrityError):
        _row(user).save()
