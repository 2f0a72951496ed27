"""What the knowledge base keeps of each event: the text to embed and the payload to filter and
learn by. Cases carry what people thought of them (verdict, reason, the edit), requirements
their text, issues their title and outcome. Point ids are the artifacts' ids, so a redelivered
event overwrites its own point."""

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from cognitest.infra.knowledge.canonical import CANONICAL_FORM, canonical
from cognitest.infra.projection.activity import derived_id
from cognitest.schemas import Envelope

# the event types the knowledge consumer follows
SUBJECTS = ("case.created", "case.generated", "case.updated", "case.deleted", "feedback.recorded",
            "requirement.parsed", "issue.created", "issue.detected", "issue.updated", "issue.resolved", "issue.deleted",
            "knowledge.reembed_requested")
_KEY_PREFIX = re.compile(r"^[A-Z][A-Z0-9_.-]*-?[0-9][0-9.]*:\s*")
CASE_FIELDS = ("title", "expected_result", "steps", "priority", "tags", "requirement_ids", "metadata", "ai_generated")


@dataclass
class Upsert:
    project: str
    point_id: str
    text: str
    payload: dict[str, Any]


@dataclass
class Patch:
    """Change a point's payload; when `fields` touch the embedded text, re-embed from the merge."""

    project: str
    point_id: str
    payload: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delete:
    project: str
    point_id: str


Op = Upsert | Patch | Delete


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def plain_title(title: str) -> str:
    """A generated title without its requirement key ("FR-1.2: Locks the account" -> "Locks the account")."""
    return _KEY_PREFIX.sub("", title or "").strip()


def case_text(fields: dict[str, Any]) -> str:
    steps = fields.get("steps") or []
    actions = "; ".join(str(s.get("action", ""))[:200] for s in steps[:3] if isinstance(s, dict))
    parts = [plain_title(str(fields.get("title") or "")), str(fields.get("expected_result") or "")[:600], actions]
    return ". ".join(p for p in parts if p)[:2000]


def case_payload(fields: dict[str, Any]) -> dict[str, Any]:
    metadata = fields.get("metadata") or {}
    return {
        "kind": "case", "title": str(fields.get("title") or "")[:500], "category": metadata.get("category") or "functional",
        "priority": fields.get("priority"), "tags": list(fields.get("tags") or [])[:20],
        "requirement_ids": list(fields.get("requirement_ids") or [])[:50],
        "requirement_keys": list(metadata.get("requirement_keys") or [])[:50],
        "ai_generated": bool(fields.get("ai_generated")), "fields": kept_fields(fields),
    }


def kept_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """What a later partial edit needs to rebuild the text and payload, and no more."""
    metadata = fields.get("metadata") or {}
    steps = [{"action": str(s.get("action", ""))[:200]} for s in (fields.get("steps") or [])[:3] if isinstance(s, dict)]
    return {"title": fields.get("title"), "expected_result": str(fields.get("expected_result") or "")[:600] or None,
            "steps": steps, "priority": fields.get("priority"), "tags": fields.get("tags") or [],
            "requirement_ids": fields.get("requirement_ids") or [], "ai_generated": fields.get("ai_generated"),
            "metadata": {k: metadata[k] for k in ("category", "requirement_keys") if k in metadata}}


def operations(event: Envelope[Any], seq: int) -> list[Op]:
    """The knowledge operations one event asks for (none for events it has no part in)."""
    d, project, t = event.data, event.subject, event.type
    base = {"project_id": project, "seq": seq, "updated_at": event.time.isoformat()}
    if t in ("case.created", "case.generated"):
        fields = d.model_dump(mode="json")
        if (fields.get("metadata") or {}).get("junit_key"):
            return []  # a test imported from CI results: a name, not a test design to learn from
        verdict = "pending" if fields.get("ai_generated") else "human"  # a person's own case is an accepted example
        return [Upsert(project, str(d.case_id), case_text(fields), {**base, **case_payload(fields), "case_id": str(d.case_id),
                                                              "verdict": verdict})]
    if t == "case.updated":
        changes = d.changes.set_fields()
        return [Patch(project, str(d.case_id), base, {k: v for k, v in changes.items() if k in CASE_FIELDS})]
    if t in ("case.deleted", "issue.deleted"):
        return [Delete(project, str(d.case_id if t == "case.deleted" else d.issue_id))]
    if t == "feedback.recorded":
        if d.artifact_kind.value not in ("case", "issue") or d.verdict.value == "rated":
            return [Patch(project, str(d.artifact_id), {**base, "rating": d.rating})] if d.rating else []
        payload = {**base, "verdict": d.verdict.value, "reason": d.reason, "judged_at": event.time.isoformat(),
                   "judged_by": event.actor}
        if d.diff:
            payload["edits"] = [c.model_dump(mode="json") for c in d.diff][:20]
        return [Patch(project, str(d.artifact_id), payload)]
    if t == "requirement.parsed":
        # embedded in canonical words, so a requirement reworded for another product finds this one
        return [Upsert(project, str(derived_id(d.document_id, r.key)), canonical(f"{r.title}. {r.text}")[:2000],
                       {**base, "kind": "requirement", "key": r.key, "requirement_id": str(derived_id(d.document_id, r.key)), "title": r.title[:500], "document_id": str(d.document_id),
                        "requirement_kind": r.kind.value, "section": r.section, "text_form": CANONICAL_FORM})
                for r in d.requirements]
    if t in ("issue.created", "issue.detected"):
        fields = d.model_dump(mode="json")
        text = f"{fields.get('title', '')}. {str(fields.get('description') or '')[:800]}"
        return [Upsert(project, str(d.issue_id), text, {**base, "kind": "issue", "title": str(fields.get("title", ""))[:500],
                                                "status": fields.get("status") or "open",
                                                "severity": fields.get("severity"), "verdict": "pending"})]
    if t == "issue.updated":
        changes = d.changes.set_fields()
        return [Patch(project, str(d.issue_id), {**base, **{k: changes[k] for k in ("status", "severity", "title") if k in changes}})]
    if t == "issue.resolved":
        return [Patch(project, str(d.issue_id), {**base, "status": "resolved", "resolution": d.resolution})]
    return []
