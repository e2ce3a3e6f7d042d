"""Users of a tenant, and their API tokens (see :mod:`switchboard.api.services.configuration`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response

from switchboard.api.deps import MemberScope
from switchboard.api.errors import Forbidden, error_responses
from switchboard.api.routers._crud import crud_router
from switchboard.api.schemas.common import MAX_ID, PageOut
from switchboard.api.schemas.users import TokenCreate, TokenCreated, TokenPublic, TokenQuery
from switchboard.api.services import tokens
from switchboard.api.services.configuration import USERS
from switchboard.api.services.scope import TenantScope
from switchboard.store.models import Role, User

router = crud_router(USERS, tag="Users")

UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The user's id.")]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="The token's id.")]


def _token_owner(scope: TenantScope, user_id: int) -> User:
    user = scope.get(User, user_id, field="user_id", what="user")
    principal = scope.principal
    if user.id != principal.user_id and principal.role not in (Role.ADMIN, Role.TENANT_ADMIN):
        raise Forbidden("only the user or an admin of the tenant may manage these tokens")
    return user


@router.get("/{user_id}/tokens", response_model=PageOut[TokenPublic], tags=["Users"],
            operation_id="list_user_tokens")
def list_user_tokens(scope: MemberScope, user_id: UserId,
                     query: Annotated[TokenQuery, Query()]) -> PageOut[TokenPublic]:
    """A user's API tokens (never the tokens themselves)."""
    return tokens.list_tokens(scope.session, _token_owner(scope, user_id), query)


@router.post("/{user_id}/tokens", response_model=TokenCreated, status_code=201,
             tags=["Users"], operation_id="create_user_token")
def create_user_token(scope: MemberScope, user_id: UserId, body: TokenCreate) -> TokenCreated:
    """A new API token for the user (an integration account); the token is shown once."""
    return tokens.create_token(scope.session, scope.principal, _token_owner(scope, user_id),
                               body)


@router.delete("/{user_id}/tokens/{token_id}", status_code=204, response_class=Response,
               tags=["Users"], operation_id="revoke_user_token",
               responses=error_responses(404))
def revoke_user_token(scope: MemberScope, user_id: UserId, token_id: TokenId) -> Response:
    """Revoke a token at once."""
    tokens.revoke_token(scope.session, scope.principal, _token_owner(scope, user_id), token_id)
    return Response(status_code=204)
