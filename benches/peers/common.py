"""Shared pieces of the peer runners: command line, workload inputs, the timing protocol
and the one JSON object each runner prints on stdout (see SPEC.md).

A runner builds a dict of workload name -> function(input) -> answer, and hands it to
`run_workloads`. Progress and diagnostics go to stderr; stdout carries only the result.
"""

import argparse
import json
import math
import os
import signal
import socket
import sys
import time

# The peer workloads in report order; the Rust in-process runner adds ours-only ones.
WORKLOADS = [
    "point_lookup",
    "one_hop",
    "two_hop",
    "three_hop",
    "reachability",
    "shortest_path",
    "fof_city",
    "scan_group",
    "scan_sum",
]


# `fof_city`: the distinct people two `knows` edges from the start (the start excluded) who
# live in this city: filters on both ends of a two-edge pattern.
FOF_CITY = "paris"


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", required=True, help="directory written by `omnigraph-bench generate`")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions over all inputs")
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help="comma-separated subset of workloads to run (default: all)",
    )
    args = parser.parse_args()
    args.data = os.path.abspath(args.data)
    args.workloads = [w for w in args.workloads.split(",") if w]
    return args


def exit_on_sigterm():
    """Turns SIGTERM (what run.py sends on a timeout) into SystemExit, so that `finally`
    blocks still stop the servers and remove the temp dirs a runner made."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)


def read_workload(data_dir):
    with open(os.path.join(data_dir, "workload.json")) as f:
        return json.load(f)


def inputs_for(name, workload):
    """The inputs of one workload; answers come back one per input, in this order."""
    if name == "point_lookup":
        return list(workload["lookup_keys"])
    if name in ("one_hop", "two_hop", "three_hop", "reachability", "fof_city"):
        return list(workload["starts"])
    if name == "shortest_path":
        return [tuple(p) for p in workload["pairs"]]
    if name in ("scan_group", "scan_sum"):
        return [None]
    raise ValueError(f"unknown workload {name}")


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def _elapsed_us(start_ns):
    return (time.perf_counter_ns() - start_ns) / 1000.0


def time_workload(fn, inputs, reps):
    """The timing protocol: the first input once (reported as `cold_us`, not in the stats),
    then `reps` passes over all inputs, each call timed on its own. Answers are those of
    the last pass."""
    start = time.perf_counter_ns()
    fn(inputs[0])
    cold_us = _elapsed_us(start)
    times_us, answers = [], []
    for _ in range(reps):
        answers = []
        for item in inputs:
            start = time.perf_counter_ns()
            answer = fn(item)
            times_us.append(_elapsed_us(start))
            answers.append(answer)
    return {"cold_us": cold_us, "times_us": times_us, "answers": answers}


def run_workloads(impls, workload, args):
    """Runs every selected workload the engine implements; returns the `workloads` object."""
    results = {}
    for name in WORKLOADS:
        if name not in args.workloads or name not in impls:
            continue
        t0 = time.perf_counter()
        results[name] = time_workload(impls[name], inputs_for(name, workload), args.reps)
        log(f"  {name}: {time.perf_counter() - t0:.2f}s")
    return results


def emit(engine, version, load_seconds, workloads, notes=""):
    result = {
        "engine": engine,
        "version": version,
        "load_seconds": load_seconds,
        "workloads": workloads,
    }
    if notes:
        result["notes"] = notes
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


# --- answer shapes every engine must produce -------------------------------------------

def round_avg(value):
    """avg_age to 3 decimals exactly as the Rust in-process runner does it,
    `(x * 1000.0).round() / 1000.0` with ties away from zero. (Python's round(x, 3) rounds
    exact binary ties such as 55.0625 to even, 55.062 where Rust gives 55.063, which
    would fail the cross-check on such an average.)"""
    if value is None:
        return None
    scaled = float(value) * 1000.0
    whole = math.floor(abs(scaled))
    if abs(scaled) - whole >= 0.5:  # exact: whole and abs(scaled) are within 1 of each other
        whole += 1
    return math.copysign(whole, scaled) / 1000.0


def int_or_none(value):
    return None if value is None else int(value)


def person_row(row):
    """[name, age, city] of a point lookup, or None when the key is missing."""
    if row is None:
        return None
    name, age, city = row
    return [name, int_or_none(age), city]


def group_rows(rows):
    """[city, count, avg_age] rows, ordered by city with a NULL city last (as PostgreSQL's
    and DuckDB's ascending order put it), whatever order the engine returned them in."""
    out = [[city, int(count), round_avg(avg)] for city, count, avg in rows]
    out.sort(key=lambda r: (r[0] is None, r[0] or ""))
    return out


def sum_row(count, total):
    return [int(count), int_or_none(total)]


# --- networking helpers for the server-based runners -----------------------------------

def free_port():
    """A free loopback port (the OS picks it; tiny race before the server binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout_s, alive=lambda: True):
    """Waits until 127.0.0.1:port accepts TCP connections; `alive` aborts early when the
    server process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("server exited before accepting connections")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout_s}s")
