"""Write a benchmark run as JSON, a Markdown table and a PNG chart under bench/results/."""

import json
import os
from pathlib import Path

from bench.cpu import cpu_text

RESULTS = Path(__file__).resolve().parent / "results"


def _rows(results: dict) -> list[tuple[str, str]]:
    rows = []
    ingest = results.get("ingest")
    if ingest:
        web, top = ingest["webhook"], ingest["ceiling"]
        rows += [
            ("Ingest body", f"{ingest['body_bytes'] / 1024:.1f} KB SETTLE notification"),
            ("Ingest, webhook", f"{web['per_second']:,.0f} req/s · p50 {web['p50_ms']:.1f} ms · "
                                f"p95 {web['p95_ms']:.1f} ms · p99 {web['p99_ms']:.1f} ms"),
            ("Ingest, ceiling (parse + 1 INSERT)", f"{top['per_second']:,.0f} req/s · p50 {top['p50_ms']:.1f} ms · "
                                                   f"p95 {top['p95_ms']:.1f} ms · p99 {top['p99_ms']:.1f} ms"),
            ("Ingest ratio webhook / ceiling", f"{ingest['ratio']} (median of rounds "
                                               f"{', '.join(map(str, ingest.get('ratio_rounds', [])))})"),
            ("Ingest non-2xx / socket errors", f"{web['non_2xx']} / {web['socket_errors']}"),
            ("Ingest CPU per accepted request, webhook (ms)", cpu_text(web.get("cpu_ms", {}))),
            ("Ingest CPU per accepted request, ceiling (ms)", cpu_text(top.get("cpu_ms", {}))),
        ]
    pipeline = results.get("pipeline")
    if pipeline:
        latency, sustained = pipeline["latency_at_fixed_rate"], pipeline["sustained"]
        rows += [
            ("End to end, workers", f"{pipeline['workers']} ({pipeline['worker_pool']})"),
            ("End to end, sustained delivered",
             f"{sustained['delivered_per_second']:,.0f} events/s over {sustained['seconds']} s "
             f"(accepted {sustained['accepted_per_second']:,.0f}/s)"),
            ("End to end, latency",
             f"at {latency['offered_per_second']:,.0f}/s offered: p50 {latency['p50_ms']:.0f} ms · "
             f"p95 {latency['p95_ms']:.0f} ms · p99 {latency['p99_ms']:.0f} ms"),
            ("Undelivered after drain",
             f"{latency['undelivered_after_drain']} + {sustained['undelivered_after_drain']}"),
            ("End to end CPU per delivered event, sustained (ms)",
             cpu_text(sustained.get("cpu_ms_per_delivered", {}))),
            ("End to end CPU budget at 1,000 events/s",
             f"{(os.cpu_count() or 1) * 1000 / 1000:.2f} ms per event ({os.cpu_count()} cores)"),
        ]
    translation = results.get("translation")
    if translation:
        rows.append(("Translation (1 core)", translation["summary"]))
    console = results.get("console")
    if console:
        rows.extend(_console_rows(console))
    memory = results.get("memory")
    if memory:
        rows.append(("Peak RSS", ", ".join(f"{name} {mb:.0f} MB" for name, mb in memory.items())))
    return rows


def markdown(results: dict) -> str:
    lines = [f"# Benchmark run {results['started']}", "", f"Machine: {results['machine']}", "",
             "| Measure | Result |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in _rows(results)]
    return "\n".join(lines) + "\n"


def chart(results: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        return False
    bars = {}
    if results.get("ingest"):
        bars["ingest: webhook"] = results["ingest"]["webhook"]["per_second"]
        bars["ingest: ceiling"] = results["ingest"]["ceiling"]["per_second"]
    if results.get("pipeline"):
        bars["end to end: delivered"] = results["pipeline"]["sustained"]["delivered_per_second"]
    figure, axis = pyplot.subplots(figsize=(8, 4))
    axis.barh(list(bars), list(bars.values()), color=["#2b6cb0", "#a0aec0", "#38a169"][: len(bars)])
    for index, value in enumerate(bars.values()):
        axis.text(value, index, f" {value:,.0f}/s", va="center")
    axis.set_xlabel("per second")
    axis.set_title("EE Connect throughput (127.0.0.1, PostgreSQL + Redis)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return True


def results_write(results: dict) -> Path:
    folder = RESULTS / results["started"].replace(":", "").replace("-", "")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (folder / "results.md").write_text(markdown(results))
    if not chart(results, folder / "chart.png"):
        print("matplotlib is not installed: no chart (pip install matplotlib)")
    return folder


def _console_rows(console: dict) -> list[tuple[str, str]]:
    """One row per page timed: "page  median  max  status" lines of bench.console's output."""
    rows = []
    for line in console["output"].splitlines()[1:]:
        *name, median, worst, status = line.split()
        rows.append((f"Console at {console['deliveries']:,} deliveries: {' '.join(name)}",
                     f"median {median} ms · max {worst} ms · HTTP {status}"))
    return rows
