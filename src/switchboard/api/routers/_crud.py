"""Builds the standard routes of a configuration resource from its :class:`Resource`.

``GET /things`` (paged, filtered), ``POST /things``, ``GET /things/{thing_id}``,
``PATCH /things/{thing_id}`` (with the ``version`` read last, or ``If-Match``) and
``DELETE /things/{thing_id}`` (optionally with ``If-Match``). Responses carry an ``ETag`` holding
the version. The route functions get real signatures (``__signature__``), so the OpenAPI
document names each resource's own schemas and path parameter.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from switchboard.api.deps import get_state, scope_for
from switchboard.api.errors import error_responses
from switchboard.api.schemas.common import MAX_ID, PageOut
from switchboard.api.services import crud
from switchboard.api.services.crud import Resource
from switchboard.api.services.scope import TenantScope
from switchboard.api.state import AppState

__all__ = ["IfMatch", "crud_router", "etag", "with_signature"]

IfMatch = Annotated[str | None, Header(
    alias="If-Match", max_length=40,
    description="The ETag of the version this request is based on.")]

_KW = inspect.Parameter.KEYWORD_ONLY


def with_signature(function: Callable[..., Any], returns: Any = inspect.Signature.empty,
                   **params: Any) -> Callable[..., Any]:
    """Give ``function(**kw)`` the keyword-only parameters ``params`` (name -> annotation, or
    ``(annotation, default)``), as FastAPI reads them."""
    parameters = []
    for name, spec in params.items():
        annotation, default = spec if isinstance(spec, tuple) else (spec,
                                                                   inspect.Parameter.empty)
        parameters.append(inspect.Parameter(name, _KW, annotation=annotation, default=default))
    function.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=returns)
    return function


def etag(row: Any) -> str:
    """The ETag of a versioned row."""
    return f'"{row.version}"'


def crud_router(resource: Resource[Any], *, tag: str) -> APIRouter:
    """The five routes of ``resource`` (PATCH only if it has an update schema)."""
    router = APIRouter(prefix=resource.path, tags=[tag],
                       responses=error_responses(401, 403, 404, 422))
    read_scope = Annotated[TenantScope, Depends(scope_for(resource.read_roles))]
    write_scope = Annotated[TenantScope, Depends(scope_for(resource.write_roles))]
    public = resource.public
    page = PageOut[public]  # type: ignore[valid-type]
    object_id = Annotated[int, Path(ge=1, le=MAX_ID, description=f"The {resource.name}'s id.")]
    id_name = resource.id_param
    versioned = resource.versioned
    name = resource.name

    def _tag(response: Response, row: Any) -> None:
        if versioned:
            response.headers["ETag"] = etag(row)

    def list_items(**kw: Any) -> Any:
        result = crud.list_page(kw["scope"], resource, kw["query"])
        return page(items=[resource.present(r) for r in result.items], total=result.total,
                    limit=result.limit, offset=result.offset)

    router.add_api_route(
        "", with_signature(list_items, scope=read_scope,
                           query=Annotated[resource.filters, Query()]),
        methods=["GET"], response_model=page, summary=f"List {name}s",
        operation_id=f"list_{name}s")

    def create_item(**kw: Any) -> Any:
        row = crud.create(kw["scope"], resource, kw["body"])
        if resource.after_create is not None:
            resource.after_create(kw["state"], row)
        _tag(kw["response"], row)
        return resource.present(row)

    router.add_api_route(
        "", with_signature(create_item, scope=write_scope, body=resource.create,
                           state=Annotated[AppState, Depends(get_state)], response=Response),
        methods=["POST"], response_model=public, status_code=201,
        summary=f"Create a {name}", operation_id=f"create_{name}",
        responses=error_responses(409))

    def read_item(**kw: Any) -> Any:
        row = crud.get(kw["scope"], resource, kw[id_name])
        _tag(kw["response"], row)
        return resource.present(row)

    router.add_api_route(
        f"/{{{id_name}}}", with_signature(read_item, scope=read_scope,
                                          response=Response, **{id_name: object_id}),
        methods=["GET"], response_model=public, summary=f"Read a {name}",
        operation_id=f"read_{name}")

    if resource.update is not None:
        def update_item(**kw: Any) -> Any:
            row = crud.update(kw["scope"], resource, kw[id_name], kw["body"],
                              crud.parse_if_match(kw["if_match"]))
            _tag(kw["response"], row)
            return resource.present(row)

        router.add_api_route(
            f"/{{{id_name}}}",
            with_signature(update_item, scope=write_scope, body=resource.update,
                           if_match=(IfMatch, None), response=Response,
                           **{id_name: object_id}),
            methods=["PATCH"], response_model=public, summary=f"Change a {name}",
            operation_id=f"update_{name}", responses=error_responses(409, 412))

    def delete_item(**kw: Any) -> Response:
        crud.delete(kw["scope"], resource, kw[id_name], crud.parse_if_match(kw["if_match"]))
        return Response(status_code=204)

    router.add_api_route(
        f"/{{{id_name}}}",
        with_signature(delete_item, scope=write_scope, if_match=(IfMatch, None),
                       **{id_name: object_id}),
        methods=["DELETE"], status_code=204, response_class=Response,
        summary=f"Delete a {name}", operation_id=f"delete_{name}",
        responses=error_responses(409, 412))
    return router

