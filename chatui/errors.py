"""The project's error vocabulary.

Services raise these domain errors; the DRF exception handler below and the
chat websocket's ``error`` frame translate them into the same typed shape:
``{"code": "<stable_code>", "message": "<words a user understands>"}``. Clients
branch on ``code``; ``message`` may change.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """Base for every failure a user or client is meant to see."""

    code = "error"
    status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(DomainError):
    code = "invalid"
    default_message = "The request is not valid."


class InvalidBase64(InvalidInput):
    code = "invalid_base64"
    default_message = "content_base64 is not valid base64."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class FileNotFound(NotFound):
    default_message = "File not found."


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = "You do not have access to this."


class FileTooLarge(DomainError):
    code = "file_too_large"
    status = 413
    default_message = "The file is larger than the upload limit."


class QuotaExceeded(DomainError):
    code = "quota_exceeded"
    status = 413
    default_message = "This upload would exceed your storage quota."


class StorageUnavailable(DomainError):
    code = "storage_unavailable"
    status = 503
    default_message = "File storage is unavailable right now. Please try again shortly."


class DatabaseUnavailable(DomainError):
    code = "database_unavailable"
    status = 503
    default_message = "The database is unavailable right now. Please try again shortly."


class ToolError(DomainError):
    code = "tool_failed"
    status = 422
    default_message = "The tool could not complete."


class ToolTimeout(ToolError):
    code = "tool_timeout"
    status = 504
    default_message = "The tool took too long and was stopped."


class ToolOutputTooLarge(ToolError):
    code = "tool_output_too_large"
    default_message = "The tool produced more output than allowed; nothing was stored."


class ImageTooLarge(ToolError):
    code = "image_too_large"
    status = 413
    default_message = "The image has too many pixels to process safely."


class UnknownTool(NotFound):
    code = "unknown_tool"
    default_message = "There is no tool with that name."


class InvalidToolArguments(InvalidInput):
    code = "invalid_tool_arguments"
    default_message = "The tool's arguments are not valid."


class ToolInputTooLarge(DomainError):
    code = "tool_input_too_large"
    status = 413
    default_message = "The files given to the tool are larger than the tool input limit."


class HostileInput(ToolError):
    """A file refused by a tool's input checks (a decompression bomb, too many entries)."""

    code = "hostile_input"
    default_message = "The file was refused: it is built to exhaust the server."


class UnreadableInput(ToolError):
    """A file a tool's parser could not read (corrupt or malformed): the input's fault,
    reported with the parser's reason, never as a crash."""


class ToolMemoryExceeded(ToolError):
    code = "tool_memory_exceeded"
    default_message = "The tool needed more memory than allowed and was stopped."


class InvalidJson(InvalidInput):
    code = "invalid_json"
    default_message = "The body is not valid JSON."


class JsonTooDeep(InvalidJson):
    code = "json_too_deep"
    default_message = "The JSON is nested too deeply."


class BodyTooLarge(DomainError):
    code = "body_too_large"
    status = 413
    default_message = "The request body is larger than allowed."


class RateLimited(DomainError):
    """Too many requests of one kind; ``retry_after`` (seconds) becomes ``Retry-After``."""

    code = "rate_limited"
    status = 429
    default_message = "Too many requests; slow down and try again shortly."

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **details: Any) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, retry_after=self.retry_after, **details)


class ChatNotFound(NotFound):
    default_message = "Chat not found."


class InvalidFrame(InvalidInput):
    code = "invalid_frame"
    default_message = "The websocket frame is not valid."


class Busy(DomainError):
    code = "busy"
    status = 409
    default_message = "A reply is already being written in this chat; stop it or wait."


class LLMUnavailable(DomainError):
    code = "llm_unavailable"
    status = 503
    default_message = "The assistant's model is unavailable right now. Your message was kept."


_DRF_CODES: dict[type[Exception], str] = {
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "rate_limited",
    drf.ParseError: "invalid",
    drf.ValidationError: "invalid",
}


def _drf_code(exc: drf.APIException) -> str:
    for cls, code in _DRF_CODES.items():
        if isinstance(exc, cls):
            return code
    return "error"


def _drf_message(exc: drf.APIException) -> str:
    if isinstance(exc, drf.ValidationError):
        return "Some fields are not valid."
    detail = exc.detail
    return str(detail) if not isinstance(detail, (list, dict)) else "The request is not valid."


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API failure as ``{"code", "message"[, "details"]}``."""
    # Imported here: rest_framework.views loads the parser classes, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        response = Response(exc.as_dict(), status=exc.status)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, OperationalError):  # lost connection, "database is locked": retryable
        logger.error("database unavailable: %s", exc)
        return Response(DatabaseUnavailable().as_dict(), status=DatabaseUnavailable.status)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf.APIException):
        return response  # an unexpected error: Django logs it and answers 500
    body: dict[str, Any] = {"code": _drf_code(exc), "message": _drf_message(exc)}
    if isinstance(exc, drf.ValidationError):
        body["details"] = exc.detail
    response.data = body
    return response


class TextNotAvailable(DomainError):
    """The file's extracted text is not there: still processing, or extraction failed."""

    code = "text_not_available"
    status = 409
    default_message = "This file's text is not available."


class SharingDisabled(DomainError):
    """``FILES_SHARING`` turns this kind of sharing off on this instance."""

    code = "sharing_disabled"
    status = 403
    default_message = "Sharing of this kind is turned off on this server."


class LinkGone(DomainError):
    """A share link that existed but no longer opens: expired, revoked, used up, or its
    file is in the trash. Deliberately the same answer for all of them."""

    code = "link_gone"
    status = 410
    default_message = "This link has expired or is no longer available."
