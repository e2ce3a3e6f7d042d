"""Agents and their skills (see :mod:`switchboard.api.services.configuration`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from switchboard.api.deps import ManagerScope
from switchboard.api.errors import error_responses
from switchboard.api.routers._crud import IfMatch, crud_router, etag
from switchboard.api.schemas.agents import AgentPublic, AgentSkillsPut, AgentUpdate
from switchboard.api.schemas.common import MAX_ID
from switchboard.api.services import crud
from switchboard.api.services.configuration import AGENTS

router = crud_router(AGENTS, tag="Agents")

AgentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The agent's id.")]


@router.put("/{agent_id}/skills", response_model=AgentPublic, tags=["Agents"],
            operation_id="put_agent_skills", responses=error_responses(409, 412))
def put_agent_skills(scope: ManagerScope, agent_id: AgentId, body: AgentSkillsPut,
                     response: Response, if_match: IfMatch = None) -> AgentPublic:
    """Replace an agent's skills (name -> level); the agent's version moves."""
    row = crud.update(scope, AGENTS, agent_id,
                      AgentUpdate(version=body.version, skills=body.skills),
                      crud.parse_if_match(if_match))
    response.headers["ETag"] = etag(row)
    return AGENTS.present(row)  # type: ignore[return-value]
