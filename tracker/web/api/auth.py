"""Who is asking the API: the token in `Authorization: Bearer …`, and nothing else (a log-in
cookie counts for nothing here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tracker.services.api_tokens import TokenReader, authenticate
from tracker.web.deps import WebDep, now_of

# In the OpenAPI schema as the scheme every endpoint needs; a missing header is answered by
# `reader` below with the API's own 401, not FastAPI's English one.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="API-nyckel",
    description="En API-nyckel som en administratör har skapat: `Authorization: Bearer atp_…`.",
)

# Where the request's token is noted for the call log (tracker.web.api.CallLog).
STATE_KEY = "api_reader"

NO_TOKEN = (
    "API:t kräver en API-nyckel i huvudet Authorization: Bearer <nyckel>. "
    "En administratör skapar nycklar på sidan API-nycklar."
)
BAD_TOKEN = "API-nyckeln är okänd eller återkallad."


class Unauthorized(Exception):
    """No token, or one that is unknown or revoked: 401."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def reader(
    request: Request,
    web: WebDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TokenReader:
    if credentials is None:
        raise Unauthorized(NO_TOKEN)
    # A short transaction of its own: last_used_at is written now, whatever the request reads.
    with web.app.transaction() as session:
        found = authenticate(session, credentials.credentials, now=now_of(web))
    if found is None:
        raise Unauthorized(BAD_TOKEN)
    request.state.api_reader = found
    return found


ReaderDep = Annotated[TokenReader, Depends(reader)]
