"""Every benchmark in one command: `.venv/bin/python -m bench` (add `--quick` for smaller runs).

Each benchmark compares Cognitest with the raw library doing the same work in the same run and
writes its own JSON; this command runs them one after another, then writes
bench/results/summary.json and bench/results/summary.md (a table of the headline numbers).
Not a test: nothing here asserts."""

import argparse
import asyncio
import json
from collections.abc import Callable
from typing import Any

from bench import (
    api_reads, automations, durability, execution, generation, generation_quality, learning, pipeline, retrieval, triage,
    ui_pages,
)
from bench.results import RESULTS, save

RUNS = ("pipeline", "api_reads", "ui_pages", "generation", "generation_quality", "execution", "automations", "triage",
        "retrieval", "learning", "durability")


def headlines(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(benchmark, Cognitest, against the raw library) rows."""
    rows = []
    if p := r.get("pipeline"):
        rows.append(("event pipeline, publish → projected", f"{p['pipeline']['end_to_end_per_s']:,.0f} events/s",
                     f"raw nats-py {p['raw']['end_to_end_per_s']:,.0f}/s (ratio {p['ratio_end_to_end_vs_raw']:.2f})"))
        lat = p["latency"]
        rows.append((f"event latency at {lat['pipeline']['rate']}/s", f"p50 {lat['pipeline']['p50_ms']:.1f} ms, "
                     f"p99 {lat['pipeline']['p99_ms']:.1f} ms", f"raw p50 {lat['raw']['p50_ms']:.1f} ms, p99 {lat['raw']['p99_ms']:.1f} ms"))
        for moment in ("idle", "peak_under_burst", "peak_under_sustained_load", "after_load"):
            memory = p.get("memory_mb", {}).get(moment, {})
            if memory:
                rows.append((f"memory {moment.replace('_', ' ')}", ", ".join(f"{k} {v:,.0f} MB" for k, v in memory.items()
                                                                              if k != "total"), f"total {memory.get('total', 0):,.0f} MB"))
        if s := p.get("scaling"):
            rows.append(("projection with 2 consumers processes", f"{s['two_consumers_processes_per_s']:,.0f} events/s",
                         f"1 process {s['one_consumers_process_per_s']:,.0f} events/s (ratio {s['ratio']:.2f})"))
    if d := r.get("durability"):
        rows.append(("JetStream with sync_interval always", f"{d['always_per_s']:,} acked publishes/s",
                     f"default sync {d['default_per_s']:,}/s (ratio {d['always_vs_default']:.2f})"))
    if a := r.get("api_reads"):
        rows.append((f"API list reads, {a['cases']:,} cases", f"cached {a['cached']['per_second']} req/s, "
                     f"p99 {a['cached']['p99_ms']} ms", f"uncached {a['uncached']['per_second']} req/s, "
                     f"bare SQLAlchemy {a['raw_sqlalchemy']['per_second']} req/s"))
    if u := r.get("ui_pages"):
        pages = u["pages"]
        slowest = max((name for name in pages if not name.startswith("raw")), key=lambda n: pages[n]["p99_ms"])
        raw = next(v for k, v in pages.items() if k.startswith("raw"))
        rows.append((f"web UI pages, {u['cases']:,} cases", f"slowest p99 {pages[slowest]['p99_ms']} ms ({slowest}); "
                     f"cases page p50 {pages['cases']['p50_ms']} ms", f"bare SQLAlchemy rows p50 {raw['p50_ms']} ms"))
    if e := r.get("execution"):
        rows.append((f"web run, {e['web']['cases']} cases", f"{e['web']['ours_s']:.1f} s",
                     f"bare Playwright {e['web']['bare_s']:.1f} s ({e['web']['overhead_pct']:+.1f}%)"))
        i = e["ingestion"]
        copy = f"bare PostgreSQL COPY {i['bare_copy_per_s']:,.0f} rows/s (ratio {i['ratio_vs_copy']:.3f})" if "bare_copy_s" in i else ""
        rows.append((f"JUnit ingestion, {i['results']:,} results", f"{i['results_per_s']:,.0f} results/s, complete in "
                     f"{i['complete_s']:.1f} s", copy))
    if g := r.get("generation"):
        rows.append(("offline generation, 50-page spec", f"{g['offline_50_pages']['seconds_median']:.2f} s, "
                     f"{g['offline_50_pages']['cases']:,} cases", f"{g['offline_small_documents_per_second']:,.0f} small documents/s"))
        rows.append(("LLM call overhead", f"{g['llm']['ours_ms_median']:.1f} ms", f"bare litellm {g['llm']['bare_ms_median']:.1f} ms"))
    if q := r.get("generation_quality"):
        docs = q["documents"]
        rows.append((f"generation quality, {len(docs)} labelled documents",
                     f"recall ≥ {min(d['recall'] for d in docs):.2f}, precision ≥ {min(d['precision'] for d in docs):.2f}, "
                     f"ids kept {min(d['ids_kept'] for d in docs):.0%}",
                     f"{q['cases']} cases, placeholders {q['placeholder_share']:.1%}, "
                     f"duplicates ≤ {max(d['duplicate_share'] for d in docs):.1%}"))
    if a := r.get("automations"):
        rows.append(("automation executions", f"{a['interpreter']['per_second']} /s",
                     f"hand-written workflow {a['hand_written']['per_second']} /s (ratio {a['ratio']})"))
    if t := r.get("triage"):
        modes = t["modes"]["signature + similarity"]
        rows.append(("triage, labelled failures", f"precision {modes['precision']}, recall {modes['recall']}",
                     f"{t['failures_per_second_vs_500_open']:,} failures/s vs 500 open issues"))
    if rv := r.get("retrieval"):
        best = max(rv["options"], key=lambda o: o["mrr"])
        floor = rv["options"][0]
        rows.append((f"retrieval, {rv['pairs']} labelled pairs", f"{best['embedder']}: recall@5 {best['recall_at_5']:.3f}, "
                     f"MRR {best['mrr']:.3f}", f"{floor['embedder']} (lexical floor): recall@5 {floor['recall_at_5']:.3f}, "
                     f"MRR {floor['mrr']:.3f}"))
    if ln := r.get("learning"):
        w, k = ln["without_knowledge"], ln["with_knowledge"]
        rows.append(("learning, unseen similar requirements", f"rejected kinds back {k['rejected_patterns_back']:.0%}, "
                     f"edited kinds matched {k['accepted_pattern_matched']:.0%}",
                     f"without knowledge {w['rejected_patterns_back']:.0%} / {w['accepted_pattern_matched']:.0%}"))
    return rows


def markdown(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| benchmark | Cognitest | compared with |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines) + "\n"


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (minutes, not tens of minutes)")
    parser.add_argument("--summary-only", action="store_true", help="rebuild the summary from the saved results")
    args = parser.parse_args()
    quick = args.quick
    if args.summary_only:
        saved = {n: json.loads((RESULTS / f"{n}.json").read_text()) for n in RUNS if (RESULTS / f"{n}.json").exists()}
        (RESULTS / "summary.md").write_text(table := markdown(headlines(saved)))
        print(table)
        return saved
    runs: dict[str, Callable[[], Any]] = {
        "pipeline": lambda: asyncio.run(pipeline.main(5000 if quick else 20000, 1000, 5 if quick else 10)),
        "api_reads": lambda: asyncio.run(api_reads.main(2_000 if quick else 10_000, 500 if quick else 2_000)),
        "ui_pages": lambda: asyncio.run(ui_pages.main(2_000 if quick else 10_000)),
        "generation": lambda: asyncio.run(generation.main()),
        "generation_quality": lambda: asyncio.run(generation_quality.main()),
        "execution": lambda: asyncio.run(execution.main(10 if quick else 40, 10_000 if quick else 100_000)),
        "automations": lambda: asyncio.run(automations.main(50 if quick else 200)),
        "triage": triage.main,
        "retrieval": lambda: asyncio.run(retrieval.main()),
        "learning": learning.main,
        "durability": lambda: asyncio.run(durability.main(5_000 if quick else 20_000)),
    }
    results: dict[str, Any] = {}
    for name, run in runs.items():
        print(f"\n=== {name} ===", flush=True)
        results[name] = run()
    save("summary", results)
    table = markdown(headlines(results))
    (RESULTS / "summary.md").write_text(table)
    print("\n" + table)
    return results


if __name__ == "__main__":
    main()
