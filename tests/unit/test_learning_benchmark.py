"""The learning benchmark's claim, checked: after a team's feedback, the second round on unseen
similar requirements brings back fewer rejected kinds of cases, comes out the way people edited
the accepted kinds, and still covers every requirement."""

from pathlib import Path

from bench.learning import measure


async def test_the_second_round_is_measurably_better(tmp_path: Path) -> None:
    result = await measure(tmp_path)
    without, learned = result["without_knowledge"], result["with_knowledge"]
    assert result["feedback"]["rejected"] > 0 and result["feedback"]["modified"] > 0
    assert result["examples_retrieved"] > 0 and result["avoided"] > 0
    assert learned["rejected_patterns_back"] < without["rejected_patterns_back"] / 2
    assert learned["accepted_pattern_matched"] >= without["accepted_pattern_matched"] + 0.3
    assert learned["coverage"] == without["coverage"] == 1.0


async def test_feedback_carries_to_requirements_reworded_for_another_product(tmp_path: Path) -> None:
    from bench.learning import PARAPHRASED

    result = await measure(tmp_path, PARAPHRASED)
    without, learned = result["without_knowledge"], result["with_knowledge"]
    assert without["rejected_patterns_back"] > 0
    assert learned["rejected_patterns_back"] <= 0.1 * without["rejected_patterns_back"]
    assert learned["accepted_pattern_matched"] >= 0.8 and learned["coverage"] == 1.0
    assert len(result["without_history"]) <= 2  # said per requirement, with the nearest score


def test_canonical_texts_separate_rewordings_from_other_behaviour_at_the_configured_threshold() -> None:
    import json

    from cognitest.infra.knowledge.canonical import agreement, canonical
    from cognitest.infra.knowledge.embedders import WordLlamaEmbedder
    from cognitest.infra.settings import KnowledgeSettings

    pairs = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "knowledge" / "paraphrases.json")
                       .read_text())["pairs"]
    embedder, threshold = WordLlamaEmbedder(), KnowledgeSettings().requirement_score

    def score(a: str, b: str) -> float:
        va, vb = embedder.embed_now([canonical(a), canonical(b)])
        return sum(x * y for x, y in zip(va, vb, strict=True)) * agreement(canonical(a), canonical(b))

    same = [score(p["a"], p["b"]) >= threshold for p in pairs if p["same"]]
    other = [score(p["a"], p["b"]) < threshold for p in pairs if not p["same"]]
    assert sum(same) / len(same) >= 0.9 and sum(other) / len(other) >= 0.9
    raw = [sum(x * y for x, y in zip(*embedder.embed_now([p["a"], p["b"]]), strict=True)) for p in pairs if p["same"]]
    assert sum(r >= 0.5 for r in raw) / len(raw) <= 0.2  # what the raw embedding found before: almost none
