"""The peer benchmark in one command: generates the data with `omnigraph-bench generate`,
runs OmniGraph (in-process and over the wire) and the peers (DuckDB, Ladybug,
PostgreSQL, igraph) on it, each in its own process, cross-checks every answer, and only
then prints the timing tables and writes them into docs/benchmarks.md.

    python benches/peers/run.py --scale 16 [--reps 5] [--smoke] [--engines duckdb,igraph]
                                [--data DIR] [--out docs/benchmarks.md]

Binaries: OMNIGRAPH_BENCH, OMNIGRAPH_SERVER, OMNIGRAPH_SQL, defaulting to
target/release/ (or $CARGO_TARGET_DIR/release/). Build them first (scripts/bench-peers
does). Exit status is non-zero when an engine fails or any answers disagree."""

import argparse
import datetime
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import common
import crosscheck
import report

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
ENGINES = [key for key, _title in report.COLUMNS]
PEER_SCRIPTS = {
    "wire": "run_omnigraph_wire.py",
    "duckdb": "run_duckdb.py",
    "ladybug": "run_ladybug.py",
    "postgres": "run_postgres.py",
    "igraph": "run_igraph.py",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=16, help="R-MAT scale: 2^scale persons (default 16)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--history", default="10,100,1000,10000", help="commit counts of the ours-only branch/merge rows")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated subset of {','.join(ENGINES)}")
    parser.add_argument("--data", help="reuse this generated data directory instead of generating one")
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks.md"))
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per engine")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="correctness only: scale 10, reps 1, history 3,5, nothing written",
    )
    args = parser.parse_args()
    if args.smoke:
        args.scale, args.reps, args.history = 10, 1, "3,5"
    args.engines = [e.strip() for e in args.engines.replace(" ", ",").split(",") if e.strip()]
    unknown = [e for e in args.engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engines {unknown}; choose from {ENGINES}")
    return args


def binaries():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    found = {}
    for env, name in (
        ("OMNIGRAPH_BENCH", "omnigraph-bench"),
        ("OMNIGRAPH_SERVER", "omnigraph-server"),
        ("OMNIGRAPH_SQL", "omnigraph-sql"),
    ):
        found[env] = os.path.abspath(os.environ.get(env) or os.path.join(target, "release", name))
    return found


def require(path, what):
    if not os.access(path, os.X_OK):
        sys.exit(
            f"{what} not found at {path}: build it (cargo build --release -p omnigraph-benches "
            "-p omnigraph-pg -p omnigraph-shell, or scripts/bench-peers) or set the variable"
        )


def generate(bench, scale, seed, out):
    common.log(f"generating R-MAT scale {scale} (seed {seed}) into {out}")
    subprocess.run(
        [bench, "generate", "--scale", str(scale), "--seed", str(seed), "--out", out],
        check=True,
        stdout=sys.stderr,
    )


def runner_python():
    """The interpreter for the Python runners: BENCH_PYTHON, else the venv that
    scripts/bench-peers makes (it has the pinned peers), else this interpreter."""
    if os.environ.get("BENCH_PYTHON"):
        return os.environ["BENCH_PYTHON"]
    env_dir = os.environ.get("OMNIGRAPH_TEST_ENV") or os.path.expanduser("~/.cache/omnigraph-sql")
    venv = os.path.join(env_dir, "bench-venv", "bin", "python")
    return venv if os.access(venv, os.X_OK) else sys.executable


def engine_command(key, args, data, bins):
    if key == "inproc":
        graph = os.path.join(data, "inproc", "bench")
        shutil.rmtree(os.path.dirname(graph), ignore_errors=True)
        return [
            bins["OMNIGRAPH_BENCH"], "engine", "--data", data, "--graph", graph,
            "--reps", str(args.reps), "--history", args.history,
        ]
    return [runner_python(), os.path.join(HERE, PEER_SCRIPTS[key]), "--data", data, "--reps", str(args.reps)]


def run_engine(key, command, timeout, env):
    """Runs one engine process; its stderr streams through, its stdout is the JSON result.
    On timeout the process gets SIGTERM (runners then stop their servers), then SIGKILL."""
    common.log(f"== {key}: {shlex.join(command)}")
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True)
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise RuntimeError(f"{key} did not finish within {timeout:.0f}s")
    if proc.returncode != 0:
        raise RuntimeError(f"{key} exited with status {proc.returncode}")
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError(f"{key} printed no result")
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError as err:
        raise RuntimeError(f"{key} printed something that is not a JSON result: {err}: {lines[-1][:200]}")


def data_line(workload, seed):
    origin = f"seed {seed}" if seed is not None else "reused data directory"
    return (
        f"R-MAT scale {workload['scale']} ({origin}): {workload['persons']:,} persons, "
        f"{workload['knows']:,} knows edges (deduplicated, no self loops); "
        f"{len(workload['starts'])} traversal starts, {len(workload['pairs'])} shortest-path pairs, "
        f"{len(workload['lookup_keys'])} lookup keys, min_age {workload['min_age']}"
    )


def main():
    args = parse_args()
    bins = binaries()
    need_bench = args.data is None or "inproc" in args.engines
    if need_bench:
        require(bins["OMNIGRAPH_BENCH"], "omnigraph-bench (OMNIGRAPH_BENCH)")
    if "wire" in args.engines:
        require(bins["OMNIGRAPH_SERVER"], "omnigraph-server (OMNIGRAPH_SERVER)")
        require(bins["OMNIGRAPH_SQL"], "omnigraph-sql (OMNIGRAPH_SQL)")
    env = dict(os.environ, **bins)

    tmp = None
    if args.data:
        data = os.path.abspath(args.data)
    else:
        tmp = tempfile.mkdtemp(prefix="omnigraph-bench-peers")
        data = tmp
    try:
        if tmp:
            generate(bins["OMNIGRAPH_BENCH"], args.scale, args.seed, data)
        return run_all(args, data, env, bins)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(os.path.join(data, "inproc"), ignore_errors=True)


def run_all(args, data, env, bins):
    workload = common.read_workload(data)
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benches/peers/run.py " + shlex.join(sys.argv[1:]),
        "machine": report.machine_line(),
        "data_line": data_line(workload, None if args.data else args.seed),
        "reps": args.reps,
        "loadavg": {},
    }
    common.log(f"machine: {meta['machine']}")
    common.log(f"data: {meta['data_line']}")

    results, failures = {}, []
    for key in [e for e in ENGINES if e in args.engines]:
        before = report.loadavg()
        start = time.monotonic()
        try:
            results[key] = run_engine(key, engine_command(key, args, data, bins), args.timeout, env)
        except RuntimeError as err:
            failures.append(str(err))
            common.log(f"FAILED: {err}")
        after = report.loadavg()
        meta["loadavg"][key] = (before, after)
        common.log(f"== {key}: {time.monotonic() - start:.1f}s wall, load average {before} -> {after}")

    labelled = {result["engine"]: result for result in results.values()}
    problems, warnings = crosscheck.check(labelled, workload)
    for warning in warnings:
        common.log(f"warning: {warning}")
    if failures or problems:
        common.log("\nNOT WRITING TIMINGS:")
        for line in failures + problems:
            common.log(f"  {line}")
        return 1
    common.log(f"\nall answers agree between {', '.join(results)}")

    print(report.section(results, meta))
    if args.smoke:
        common.log("smoke run: correctness only, nothing written")
    else:
        report.rewrite(args.out, report.section(results, meta))
        common.log(f"wrote the peer section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
