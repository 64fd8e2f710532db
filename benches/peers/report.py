"""Machine description and the markdown tables of a peer run, and the rewrite of the
section between `<!-- peers:begin -->` and `<!-- peers:end -->` in docs/benchmarks.md."""

import os
import platform
import statistics

BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"

# Engine keys in column order, with their column titles.
COLUMNS = [
    ("inproc", "omnigraph in-process"),
    ("wire", "omnigraph wire"),
    ("duckdb", "DuckDB"),
    ("ladybug", "Ladybug"),
    ("postgres", "PostgreSQL"),
    ("igraph", "igraph"),
]
OURS = {"inproc", "wire"}
# An in-memory graph library, not a database (no SQL, no persistence, no updates): shown as
# a reference column, never the "best peer" a ratio is taken against.
REFERENCES = {"igraph"}

# Rows in report order; `None` is the load row (load_seconds).
ROWS = [
    (None, "load (CSV, keys and indexes included)"),
    ("point_lookup", "point lookup (by key)"),
    ("one_hop", "1-hop"),
    ("two_hop", "2-hop distinct"),
    ("three_hop", "3-hop distinct"),
    ("reachability", "full reachability"),
    ("shortest_path", "shortest path"),
    ("fof_city", "friends of friends in a city (GRAPH_TABLE for us)"),
    ("scan_group", "filtered scan + group-by"),
    ("scan_sum", "full scan (count, sum)"),
    ("gt_one_hop", "GRAPH_TABLE 1-hop"),
    ("gt_two_hop", "GRAPH_TABLE 2-hop (ANY SHORTEST {1,2})"),
    ("gt_three_hop", "GRAPH_TABLE 3-hop (ANY SHORTEST {1,3})"),
    ("gt_reachability", "GRAPH_TABLE reachability (ANY SHORTEST +)"),
    ("gt_shortest_path", "GRAPH_TABLE shortest path (ANY SHORTEST *)"),
    ("as_of_scan", "as-of scan (loaded version, 100 commits later)"),
    ("latest_scan", "latest scan (after 100 commits)"),
]
BRANCH_MERGE = "branch_merge_"


def rows_for(results):
    """The fixed rows, then branch_merge_N rows by N (the history the run asked for), then
    any other workload some engine reported, under its own name."""
    names = {n for r in results.values() for n in r["workloads"]}
    known = {w for w, _label in ROWS}
    merges = sorted((n for n in names if n.startswith(BRANCH_MERGE) and n[len(BRANCH_MERGE):].isdigit()),
                    key=lambda n: int(n[len(BRANCH_MERGE):]))
    others = sorted(names - known - set(merges))
    return (ROWS + [(n, f"branch + write + merge @ {n[len(BRANCH_MERGE):]} commits") for n in merges]
            + [(n, n) for n in others])


# --- machine ----------------------------------------------------------------------------

def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / (1024 * 1024)
    except OSError:
        pass
    return float("nan")


def machine_line():
    return (
        f"{_cpu_model()}, {os.cpu_count()} CPUs, {_memory_gib():.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def loadavg():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# --- numbers ----------------------------------------------------------------------------

def fmt_us(us):
    """A duration in microseconds with a unit that keeps 3 or so significant digits."""
    if us is None:
        return "—"
    for unit, scale in (("s", 1e6), ("ms", 1e3)):
        if us >= scale:
            return f"{_digits(us / scale)} {unit}"
    return f"{_digits(us)} µs"


def _digits(value):
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.01 or value == 0:
        return f"{value:.2f}"
    # Far below 1 (a millisecond against a second): two significant digits, not "0.00".
    return f"{value:.2g}"


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def stat_us(result, workload, stat):
    """The statistic of one engine's workload in microseconds, or None when not run."""
    if result is None:
        return None
    if workload is None:  # the load row
        return result["load_seconds"] * 1e6 if stat != "cold" else None
    w = result["workloads"].get(workload)
    if w is None:
        return None
    if stat == "cold":
        return w["cold_us"]
    if not w["times_us"]:
        return None
    return statistics.median(w["times_us"]) if stat == "median" else p95(w["times_us"])


def _ratio(ours, peers):
    """ours / best peer, with the best peer's name; '—' when either side is missing."""
    best = min(((v, k) for k, v in peers.items() if v is not None), default=None)
    if ours is None or best is None or best[0] <= 0:
        return "—"
    return f"{_digits(ours / best[0])}× ({dict(COLUMNS)[best[1]]})"


def table(results, stat):
    """One markdown table: rows = workloads, columns = engines, then the two ratios."""
    head = ["workload"] + [title for _key, title in COLUMNS] + ["in-process / best peer", "wire / best peer"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for workload, label in rows_for(results):
        values = {key: stat_us(results.get(key), workload, stat) for key, _title in COLUMNS}
        if all(v is None for v in values.values()):
            continue
        peers = {k: v for k, v in values.items() if k not in OURS | REFERENCES}
        cells = [label] + [fmt_us(values[key]) for key, _title in COLUMNS]
        cells += [_ratio(values["inproc"], peers), _ratio(values["wire"], peers)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def section(results, meta):
    """The whole generated section, markers included."""
    versions = ", ".join(
        f"{title} {results[key]['version']}" for key, title in COLUMNS if key in results
    )
    out = [
        BEGIN,
        "Generated by `benches/peers/run.py` (do not edit by hand; rerun `scripts/bench-peers`).",
        "",
        f"- Date: {meta['date']}",
        f"- Command: `{meta['command']}`",
        f"- Machine: {meta['machine']}",
        f"- Data: {meta['data_line']}",
        f"- Engines: {versions}",
        "- Load averages (1/5/15 min) before → after each engine: "
        + "; ".join(f"{key} {before} → {after}" for key, (before, after) in meta["loadavg"].items()),
        "",
        "Every answer of every workload was cross-checked between all engines that ran it "
        "(exact, averages to 1e-6) before these times were recorded. Times are wall clock per "
        "query as the client sees it (in-process API call, or a round trip over the wire), over "
        f"all inputs × {meta['reps']} repetitions; the first input's first run is the cold time and "
        "is not in the median or p95. Ratios below 1 mean OmniGraph is faster than the best peer "
        "(named in parentheses); the peers are the databases DuckDB, Ladybug and PostgreSQL, while "
        "igraph, an in-memory graph library, is shown as a reference only; — means the engine "
        "does not run that workload.",
        "",
        "### Median",
        "",
        table(results, "median"),
        "",
        "### p95",
        "",
        table(results, "p95"),
        "",
        "### Cold (first input, first run)",
        "",
        table(results, "cold"),
        "",
        "### How each engine ran",
        "",
    ]
    for key, title in COLUMNS:
        if key in results:
            out.append(f"- {title} {results[key]['version']}: {results[key].get('notes', '').strip() or '—'}")
    out += [END]
    return "\n".join(out) + "\n"


def rewrite(path, text):
    """Replaces the marked section of `path` with `text`, or appends it if missing."""
    try:
        with open(path) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = ""
    start, end = doc.find(BEGIN), doc.find(END)
    if start != -1 and end > start:
        doc = doc[:start] + text.rstrip("\n") + doc[end + len(END):]
    else:
        doc = doc.rstrip("\n") + ("\n\n" if doc else "") + text
    with open(path, "w") as f:
        f.write(doc)
