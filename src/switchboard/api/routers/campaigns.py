"""Campaigns: ``campaigns`` configuration (see :mod:`switchboard.api.services.outbound`)."""

from __future__ import annotations

from switchboard.api.routers._crud import crud_router
from switchboard.api.services.outbound import CAMPAIGNS

router = crud_router(CAMPAIGNS, tag="Campaigns")
