"""Do not call: ``dnc`` configuration (see :mod:`switchboard.api.services.outbound`)."""

from __future__ import annotations

from switchboard.api.routers._crud import crud_router
from switchboard.api.services.outbound import DNC

router = crud_router(DNC, tag="Do not call")
