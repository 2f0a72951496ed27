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
