"""The project's own evaluation set for intake and offline generation: requirement documents in
seven formats, written the way teams write them, each with a labelled `<name>.expected.json`
(`requirements`: the document's own key or null, and the requirement's text).

`score(name)` parses a document as an upload would, generates its cases offline, and measures:
requirement recall and precision against the labels (a found requirement matches a labelled one
by the document's own key, or by its words when the document gave none), the share of labelled
ids kept, the share of placeholder cases, the share of duplicate cases, and the coverage classes.
Used by `bench/generation_quality.py` (prints the table) and by the evaluation test (asserts the
targets)."""

import json
import re
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cognitest.infra.generation.engine import OfflineEngine
from cognitest.infra.generation.quality import CONCRETE, case_strength, merge_identical, requirement_status, signature
from cognitest.infra.requirements.convert import convert
from cognitest.infra.requirements.sniff import sniff
from cognitest.infra.requirements.split import split
from cognitest.schemas.events.requirements import AtomicRequirement
from cognitest.schemas.generation import FeatureJob, Requirement

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "requirements"
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")


def documents() -> list[str]:
    """Every labelled document of the set (the file that sits beside its `.expected.json`)."""
    names = []
    for label in sorted(FIXTURES.glob("*.expected.json")):
        stem = label.name[: -len(".expected.json")]
        names += [p.name for p in FIXTURES.glob(stem + ".*") if not p.name.endswith(".expected.json")]
    return names


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def similarity(a: str, b: str) -> float:
    left, right = _words(a), _words(b)
    return len(left & right) / len(left | right) if left | right else 0.0


def _matches(label: dict[str, Any], found: AtomicRequirement) -> bool:
    if label.get("key"):
        return found.key == label["key"]
    return max(similarity(label["text"], found.text), similarity(label["text"], found.title)) >= 0.8


@dataclass
class Score:
    document: str
    format: str
    expected: int
    found: int
    recall: float
    precision: float
    ids_kept: float
    scenarios_ok: bool
    cases: int
    merged: int
    placeholder_share: float
    duplicate_share: float
    coverage: dict[str, int] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse(name: str) -> list[AtomicRequirement]:
    data = (FIXTURES / name).read_bytes()
    return split(convert(data, sniff(data, max_unzipped=10**7, max_ratio=100)))


async def score(name: str) -> Score:
    labels = json.loads((FIXTURES / (name.rsplit(".", 1)[0] + ".expected.json")).read_text())
    expected = labels["requirements"]
    found = parse(name)
    matched_labels = [label for label in expected if any(_matches(label, f) for f in found)]
    matched_found = [f for f in found if any(_matches(label, f) for label in expected)]
    keyed = [label for label in expected if label.get("key")]
    kept = [label for label in keyed if any(f.key == label["key"] for f in found)]
    scenarios_ok = all(
        len(next(f for f in found if _matches(label, f)).acceptance_criteria) == label["scenarios"]
        for label in matched_labels if "scenarios" in label)

    requirements = [Requirement(id=uuid.uuid4(), **r.model_dump()) for r in found]
    groups: dict[str, list[Requirement]] = {}
    for r in requirements:
        groups.setdefault(r.section or "General", []).append(r)
    engine = OfflineEngine()
    drafts = []
    for feature, group in groups.items():
        result = await engine.feature_cases(FeatureJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(),
                                                       feature=feature, requirements=group))
        drafts += result.cases
    plan, merged = merge_identical(drafts)  # as publishing does
    strengths: dict[str, list[str]] = {r.key: [] for r in requirements}
    signatures: Counter[str] = Counter()
    cases = placeholders = 0
    for case in plan:
        cases += 1
        strength = case_strength(case.steps, case.expected_result, case.executable_steps)
        placeholders += strength != CONCRETE
        for key in case.requirement_keys:
            strengths.setdefault(key, []).append(strength)
        # near-duplicates: the same steps and outcome in other words only by case or category
        signatures[signature(case).split(": ", 1)[1]] += 1
    coverage = Counter(requirement_status(s) for s in strengths.values())
    duplicates = sum(n - 1 for n in signatures.values())
    return Score(
        document=name, format=labels.get("format", ""), expected=len(expected), found=len(found),
        recall=len(matched_labels) / len(expected) if expected else 1.0,
        precision=len(matched_found) / len(found) if found else 0.0,
        ids_kept=len(kept) / len(keyed) if keyed else 1.0, scenarios_ok=scenarios_ok, cases=cases, merged=merged,
        placeholder_share=placeholders / cases if cases else 0.0,
        duplicate_share=duplicates / cases if cases else 0.0,
        coverage={k: coverage.get(k, 0) for k in ("covered", "weak", "uncovered")},
        missed=[label.get("key") or label["text"] for label in expected if label not in matched_labels],
        extra=[f"{f.key}: {f.text[:80]}" for f in found if f not in matched_found],
    )
