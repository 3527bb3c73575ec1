"""The API error vocabulary renders every failure as {code, message}."""

import pytest
from django.http import Http404
from rest_framework import exceptions as drf

from chatui.errors import FileTooLarge, QuotaExceeded, StorageUnavailable, api_exception_handler


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (FileTooLarge(), 413, "file_too_large"),
        (QuotaExceeded("Only 3 MB left."), 413, "quota_exceeded"),
        (StorageUnavailable(), 503, "storage_unavailable"),
    ],
)
def test_domain_errors_keep_their_code_status_and_message(error, status, code):
    response = api_exception_handler(error, {})
    assert response.status_code == status
    assert response.data["code"] == code
    assert response.data["message"] == error.message


def test_validation_errors_carry_field_details():
    response = api_exception_handler(drf.ValidationError({"filename": ["Required."]}), {})
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["details"] == {"filename": ["Required."]}


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (drf.NotAuthenticated(), 401, "not_authenticated"),
        (Http404(), 404, "not_found"),
        (drf.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
    ],
)
def test_framework_errors_get_stable_codes(exc, status, code):
    response = api_exception_handler(exc, {})
    assert response.status_code == status
    assert response.data["code"] == code
    assert isinstance(response.data["message"], str) and response.data["message"]


def test_unexpected_errors_are_not_swallowed():
    assert api_exception_handler(RuntimeError("boom"), {}) is None
