"""IVR flows: ``ivr_flows`` configuration (see :mod:`switchboard.api.services.configuration`)."""

from __future__ import annotations

from switchboard.api.routers._crud import crud_router
from switchboard.api.services.configuration import IVR_FLOWS

router = crud_router(IVR_FLOWS, tag="IVR flows")
