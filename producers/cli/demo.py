"""A demo project for newcomers: a plan, suites, cases with steps, an issue and an API
collection, created through the API like any user would."""

from typing import Any

from cognitest.producers.cli.client import Api

DEMO_PROJECT = "Demo Shop"
DEMO_SPEC = """# Demo Shop: sign-in and checkout

## Sign-in
SI-1: Customers shall sign in on the /login page with their email and password.
SI-2: The password must be between 8 and 64 characters long.
SI-3: After 5 failed attempts the account shall be locked for 15 minutes.

## Checkout
CO-1: As a customer, I want to pay for my cart with a saved card, so that checkout is quick.
Given a customer with 2 items in the cart
When they pay with the saved card
Then the order is confirmed
CO-2: The discount code must be one of SAVE10, SAVE20 or FREESHIP.
CO-3: POST /api/orders shall create an order and return it.
NFR-1: The checkout page should respond within 2 seconds.
"""


class _Keyed:
    """Every change of the seeding carries its own fixed Idempotency-Key, so a seeding that
    crashed half-way (or whose `up` was stopped) resumes on the next `up`: what was done answers
    with the same resources, what was not is done; there is only ever one Demo Shop."""

    def __init__(self, api: Api, prefix: str) -> None:
        self.api = api
        self.client = api.client
        self.prefix = prefix
        self.count = 0

    def _key(self) -> str:
        self.count += 1
        return f"{self.prefix}:{self.count}"

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.api.post(path, body, key=self._key(), **params)

    def upload(self, path: str, files: list[tuple[str, tuple[str, bytes]]], **params: Any) -> Any:
        return self.client.post(path, params=params, files=files, headers={"idempotency-key": self._key()})


def seed_demo(plain: Api, *, again: bool = False) -> dict[str, Any]:
    """`again`: a new Demo Shop even if one was seeded before (it was deleted)."""
    import uuid

    api = _Keyed(plain, f"demo-seed-{uuid.uuid4()}" if again else "demo-seed-v1")
    project = api.post("/api/v1/projects", {
        "name": DEMO_PROJECT,
        "description": "An online shop: sign-in, catalogue and checkout. Seeded by `cognitest up` to explore with.",
        "owner_id": "admin@localhost",
        # the demo shop runs on this machine: let its tests reach loopback addresses
        "settings": {"targets": {"allow_private": True}},
    }, wait="true")
    pid = project["id"]
    base = f"/api/v1/projects/{pid}"
    plan = api.post(f"{base}/plans", {
        "name": "Checkout release 2.4", "description": "Regression and new-feature coverage for the checkout rework.",
        "objectives": ["Payment succeeds for valid cards", "Invalid input is refused with a clear message"],
        "tags": ["release-2.4", "checkout"],
    }, wait="true")
    suite = api.post(f"{base}/suites", {"name": "Checkout", "plan_id": plan["id"], "tags": ["checkout"]}, wait="true")
    login = api.post(f"{base}/suites", {"name": "Sign-in", "plan_id": plan["id"], "tags": ["auth"]}, wait="true")
    cases = [
        (suite, "Pay with a valid card", "critical", "ready",
         [("Add a product to the cart", "Cart shows 1 item"), ("Pay with card 4242 4242 4242 4242", "Order confirmation is shown")]),
        (suite, "Refuse an expired card", "high", "ready",
         [("Pay with an expired card", "An 'expired card' message is shown and no order is created")]),
        (suite, "Apply a discount code", "medium", "draft", [("Enter code SAVE10", "Total drops by 10%")]),
        (login, "Sign in with valid credentials", "critical", "ready",
         [("Open /login", "The form is shown"), ("Submit a valid e-mail and password", "The dashboard is shown")]),
        (login, "Lock the account after 5 failed attempts", "high", "draft",
         [("Submit a wrong password 5 times", "The account is locked for 15 minutes")]),
    ]
    created = []
    for parent, title, priority, status, steps in cases:
        created.append(api.post(f"{base}/cases", {
            "title": title, "suite_id": parent["id"], "priority": priority, "status": status,
            "steps": [{"action": a, "expected": e} for a, e in steps], "tags": list(parent["tags"]),
        }, wait="true"))
    api.post(f"{base}/issues", {
        "title": "Expired card accepted on Safari", "severity": "high", "related_test_case_id": created[1]["id"],
        "description": "The expiry check is skipped when the date field is autofilled.",
        "steps_to_reproduce": ["Autofill an expired card in Safari", "Pay"], "tags": ["checkout", "safari"],
    }, wait="true")
    api.post(f"{base}/collections", {
        "name": "Shop API", "description": "Public REST API of the shop",
        "environment": {"base_url": "http://127.0.0.1:8080"},
        "requests": [
            {"name": "List products", "method": "GET", "url": "{{base_url}}/products", "assert": {"status": 200}},
            {"name": "Create order", "method": "POST", "url": "{{base_url}}/orders", "body": {"sku": "A1", "qty": 1},
             "assert": {"status": 201}},
        ],
        "tags": ["api"],
    }, wait="true")
    # a requirement document and a generated plan, so the AI side has something to show
    api.upload(f"{base}/requirements", [("files", ("demo-shop-spec.md", DEMO_SPEC.encode()))], wait="true")
    api.post(f"{base}/generations", {"engine": "offline"})
    _automations(api, base, plan, suite)
    return project


def _automations(api: _Keyed, base: str, plan: dict[str, Any], suite: dict[str, Any]) -> None:
    """A release approval waiting for a person (approve it from the API or CLI; watch it in the
    Temporal UI), and the nightly regression template, disabled until Slack and JIRA are configured."""
    approval = api.post(f"{base}/automations", {"name": "Release approval", "graph": {
        "nodes": [{"id": "start", "type": "trigger.manual"},
                  {"id": "review", "type": "approval", "config": {"prompt": "Release {{ trigger.release }}: approve the plan?"}},
                  {"id": "tag", "type": "publish_event", "config": {"type": "plan.updated", "data": {
                      "plan_id": plan["id"], "changes": {"tags": ["release-2.4", "checkout", "approved"]}}}}],
        "edges": [{"source": "start", "target": "review"}, {"source": "review", "target": "tag", "label": "approved"}]}},
        wait="true")
    api.post(f"{base}/automations/{approval['id']}/run", {"input": {"release": "2.4"}})
    api.post(f"{base}/automations", {"template": "nightly-regression", "params": {"suite_id": suite["id"]},
                                     "enabled": False}, wait="true")
