"""The API's errors and the one place where every domain error becomes an HTTP response.

Handlers and services raise :class:`ApiError` subclasses (or let the core's and the store's
errors through); :func:`install_error_handlers` turns each into a JSON body::

    {"error": "duplicate", "field": "extension", "detail": "extension '201' is taken"}

``error`` is a stable identifier, ``field`` names the offending input (a body field, a path or
query parameter, a header) or is null, ``detail`` is a human-readable message (a list of
problems for validation errors). Nothing else in the API builds error responses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from switchboard.core.errors import (
    ConfigError,
    CoreError,
    IllegalTransition,
    NotAvailable,
    UnknownObject,
)
from switchboard.store.errors import LogError, StoreError

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "ErrorBody",
    "Forbidden",
    "Invalid",
    "NotFound",
    "PreconditionFailed",
    "Throttled",
    "Unauthorized",
    "Unavailable",
    "VersionConflict",
    "error_responses",
    "install_error_handlers",
]

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """What every error response holds."""

    error: str
    """A stable identifier: ``not_found``, ``duplicate``, ``version_conflict`` ..."""
    field: str | None = None
    """The input at fault (``extension``, ``path.queue_id``, ``header.If-Match``) or null."""
    detail: Any = None
    """A message, or a list of problems for validation errors."""


class ApiError(Exception):
    """Base of the API's errors: an HTTP status, an error id, the field at fault, a message."""

    status = 400
    error = "bad_request"

    def __init__(self, detail: Any = None, *, field: str | None = None, error: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        if error is not None:
            self.error = error
        self.headers = headers


class BadRequest(ApiError):
    status = 400
    error = "bad_request"


class Unauthorized(ApiError):
    status = 401
    error = "unauthorized"


class Forbidden(ApiError):
    status = 403
    error = "forbidden"


class NotFound(ApiError):
    status = 404
    error = "not_found"


class Conflict(ApiError):
    status = 409
    error = "conflict"


class VersionConflict(Conflict):
    """A write based on an old version of the object (someone changed it since)."""

    error = "version_conflict"


class PreconditionFailed(ApiError):
    """``If-Match`` names another version than the object's."""

    status = 412
    error = "version_conflict"


class Invalid(ApiError):
    status = 422
    error = "invalid"


class Throttled(ApiError):
    status = 429
    error = "throttled"


class Unavailable(ApiError):
    status = 503
    error = "unavailable"


_CORE_STATUS: Sequence[tuple[type[CoreError], int, str]] = (
    (UnknownObject, 404, "not_found"),
    (IllegalTransition, 409, "illegal_transition"),
    (NotAvailable, 409, "not_available"),
    (ConfigError, 422, "invalid"),
)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error body for ``statuses``."""
    return {status: {"model": ErrorBody} for status in statuses}


def _body(status: int, error: str, field: str | None, detail: Any,
          headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content=ErrorBody(error=error, field=field, detail=detail).model_dump())


def _loc(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def _on_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _body(exc.status, exc.error, exc.field, exc.detail, exc.headers)


def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"field": _loc(e.get("loc", ())), "message": e.get("msg", ""),
                 "type": e.get("type", "")} for e in exc.errors()]
    first = problems[0]["field"] if problems else None
    return _body(422, "invalid", first, problems)


def _on_core(_request: Request, exc: Exception) -> JSONResponse:
    for kind, status, error in _CORE_STATUS:
        if isinstance(exc, kind):
            return _body(status, error, None, str(exc))
    return _body(409, "rejected", None, str(exc))


def _on_stale(_request: Request, _exc: Exception) -> JSONResponse:
    return _body(409, "version_conflict", "version",
                 "the object was changed by someone else meanwhile; reload it and retry")


def _on_integrity(_request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error turned into 409: %s", exc)
    return _body(409, "conflict", None,
                 "the change conflicts with existing data (a duplicate or a reference in use)")


def _on_store(_request: Request, exc: Exception) -> JSONResponse:
    log.error("store error: %s", exc)
    if isinstance(exc, LogError):
        return _body(503, "unavailable", None, "the event log is unavailable; retry later")
    return _body(503, "unavailable", None, "the database is unavailable; retry later")


def _on_database(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable: %s", exc)
    return _body(503, "unavailable", None, "the database is unavailable; retry later")


def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    names = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
             401: "unauthorized", 403: "forbidden"}
    return _body(exc.status_code, names.get(exc.status_code, "http_error"), None, exc.detail,
                 dict(exc.headers) if exc.headers else None)


def install_error_handlers(app: FastAPI) -> None:
    """Register the translation of every domain error (the API's one error boundary)."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(CoreError, _on_core)
    app.add_exception_handler(StaleDataError, _on_stale)
    app.add_exception_handler(IntegrityError, _on_integrity)
    app.add_exception_handler(StoreError, _on_store)
    app.add_exception_handler(OperationalError, _on_database)
    app.add_exception_handler(InterfaceError, _on_database)
    app.add_exception_handler(StarletteHTTPException, _on_http)
