"""Skills: ``skills`` configuration (see :mod:`switchboard.api.services.configuration`)."""

from __future__ import annotations

from switchboard.api.routers._crud import crud_router
from switchboard.api.services.configuration import SKILLS

router = crud_router(SKILLS, tag="Skills")
