"""Webhook triggers: POST a JSON body to start an automation that has a webhook trigger.

The request must carry `X-Hub-Signature-256: sha256=<hex>`, the
HMAC-SHA256 of the raw body under the trigger's secret (GitHub's scheme); a missing or wrong
signature is refused with 401 and starts nothing. A delivery the sender names (`X-GitHub-Delivery`,
`X-Gitlab-Event-UUID`, `Idempotency-Key`) starts one execution however often it is replayed: a
replay is answered 200 with the first delivery's execution."""

from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from cognitest.infra.integrations.signing import HEADER, verify
from cognitest.infra.identity.crypto import reveal
from cognitest.infra.integrations.ledger import Ledger
from cognitest.producers.api.access.principal import Principal
from cognitest.producers.api.commands import accepted, envelope_for, publish
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.automations import load
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.automation.execution import execution_id_for
from cognitest.schemas.events.automations import WorkflowRunRequested

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/hooks", tags=["automations"])
# the sender's id of one delivery (GitHub, GitLab, JIRA, anyone with an Idempotency-Key)
DELIVERY_HEADERS = ("x-github-delivery", "x-gitlab-event-uuid", "x-atlassian-webhook-identifier", "idempotency-key")


def delivery_id(request: Request) -> str | None:
    return next((request.headers[h][:200] for h in DELIVERY_HEADERS if request.headers.get(h)), None)


async def replayed(ledger: Ledger, key: str, delivery: str | None) -> JSONResponse | None:
    """The first answer again (200) when the sender replays a delivery it names; None otherwise."""
    seen = await ledger.done(key) if delivery else None
    return None if seen is None else JSONResponse({"duplicate": True, "delivery": delivery, **seen}, status_code=200)


@router.post("/{project_id}/{automation_id}", status_code=202, summary="Start an automation from a webhook",
             description="The JSON body (an object) becomes the trigger's input. It must be signed: "
                         "X-Hub-Signature-256 is the HMAC-SHA256 of the body under the trigger's secret. A replay of "
                         "a delivery (same X-GitHub-Delivery, X-Gitlab-Event-UUID or Idempotency-Key) is answered 200 "
                         "with the first delivery's execution and starts nothing.",
             responses={200: {"description": "a replay: the execution the first delivery started"}})
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
    delivery = delivery_id(request)
    ledger, key = Ledger(state.sessions), f"hook:{automation_id}:{delivery}"
    if (replay := await replayed(ledger, key, delivery)) is not None:  # a redelivery or retry starts nothing new
        return replay
    if delivery:
        event = event.model_copy(update={"id": str(uuid5(NAMESPACE_URL, f"cognitest:{key}"))})
    published, _ = await publish(state, event, wait=False)
    execution_id = execution_id_for(event.id)
    if delivery:
        await ledger.record(key, "webhook-in", {"execution_id": execution_id, "event_id": event.id})
    return accepted(event, published, execution_id, execution_id=execution_id)
