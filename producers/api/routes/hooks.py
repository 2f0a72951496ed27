"""Webhook triggers: POST a JSON body to start an automation that has a webhook trigger.

The request must carry `X-Hub-Signature-256: sha256=<hex>`, the
HMAC-SHA256 of the raw body under the trigger's secret (GitHub's scheme); a missing or wrong
signature is refused with 401 and starts nothing."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from cognitest.infra.integrations.signing import HEADER, verify
from cognitest.infra.identity.crypto import reveal
from cognitest.producers.api.access.principal import Principal
from cognitest.producers.api.commands import accepted, envelope_for, publish
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.automations import load
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.automation.execution import execution_id_for
from cognitest.schemas.events.automations import WorkflowRunRequested

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/hooks", tags=["automations"])


@router.post("/{project_id}/{automation_id}", status_code=202, summary="Start an automation from a webhook",
             description="The JSON body (an object) becomes the trigger's input. It must be signed: "
                         "X-Hub-Signature-256 is the HMAC-SHA256 of the body under the trigger's secret.")
async def webhook(request: Request, state: State, project_id: UUID, automation_id: UUID) -> JSONResponse:
    row = await load(state, project_id, automation_id)
    hooks = [n for n in row.graph.get("nodes", []) if n.get("type") == "trigger.webhook"]
    if not hooks or not row.enabled:
        raise ApiError(404, f"automation {automation_id} has no enabled webhook trigger")
    raw = await request.body()
    node = hooks[0]
    secret = reveal(state.cipher, (node.get("config") or {}).get("secret"))
    if not secret or not verify(secret, raw, request.headers.get(HEADER)):
        raise ApiError(401, f"missing or invalid {HEADER} signature")
    try:
        import json

        body: Any = json.loads(raw or b"{}")
    except ValueError:
        raise ApiError(422, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise ApiError(422, "the body must be a JSON object")
    request.state.principal = Principal("webhook", f"webhook:{automation_id}")
    payload = WorkflowRunRequested(workflow_id=row.id, trigger="webhook", trigger_node=node["id"], input=body)
    event = envelope_for(request, state, payload, project_id)
    published, _ = await publish(state, event, wait=False)
    execution_id = execution_id_for(event.id)
    return accepted(event, published, execution_id, execution_id=execution_id)
