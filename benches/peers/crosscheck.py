"""Cross-checks the answers of every engine before any timing is reported.

Answers must match exactly, except floats (avg_age) which may differ by 1e-6. Every
workload run by more than one engine is compared input by input against the first
engine that ran it; ours-only `as_of_scan` must equal the peers' `scan_sum`."""

import json

import common

FLOAT_TOLERANCE = 1e-6


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return abs(a - b) <= FLOAT_TOLERANCE
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def _show(value):
    return json.dumps(value)


def check(results, workload):
    """results: engine label -> runner output. Returns a list of problems (empty = agree)
    and a list of warnings (workloads only one engine ran)."""
    problems, warnings = [], []
    names = []
    for result in results.values():
        names += [n for n in result["workloads"] if n not in names]
    for name in names:
        ran = {label: r["workloads"][name] for label, r in results.items() if name in r["workloads"]}
        if name in common.WORKLOADS:
            inputs = common.inputs_for(name, workload)
            for label, w in ran.items():
                if len(w["answers"]) != len(inputs):
                    problems.append(f"{name}: {label} gave {len(w['answers'])} answers for {len(inputs)} inputs")
            if len(ran) < 2:
                warnings.append(f"{name}: only {', '.join(ran) or 'no engine'} ran it; not cross-checked")
                continue
            problems += _compare(name, inputs, {label: w["answers"] for label, w in ran.items()})
        elif name == "as_of_scan":
            problems += _check_as_of(results, ran)
        elif name.startswith(GRAPH_TABLE_PREFIX) and name[len(GRAPH_TABLE_PREFIX):] in common.WORKLOADS:
            problems += _check_graph_table(name, results, ran, workload)
    return problems, warnings


def _compare(name, inputs, answers):
    """Input-by-input comparison; a difference lists every engine's answer to that input."""
    problems = []
    labels = list(answers)
    reference = labels[0]
    for i, item in enumerate(inputs):
        got = {label: answers[label][i] if i < len(answers[label]) else "<missing>" for label in labels}
        if all(same(got[reference], got[label]) for label in labels[1:]):
            continue
        lines = [f"{name}: answers differ for input {_show(item)}:"]
        lines += [f"    {label:<24} {_show(got[label])}" for label in labels]
        problems.append("\n".join(lines))
    return problems


# Ours-only GRAPH_TABLE forms of the traversal workloads: gt_<workload>.
GRAPH_TABLE_PREFIX = "gt_"


def _check_graph_table(name, results, ran, workload):
    """A GRAPH_TABLE form answers what every engine answered to the workload it mirrors."""
    mirrored = name[len(GRAPH_TABLE_PREFIX):]
    reference = next(((label, r) for label, r in results.items() if mirrored in r["workloads"]), None)
    if reference is None:
        return [f"{name}: no engine ran {mirrored} to check it against"]
    ref_label, ref = reference
    answers = {f"{ref_label} ({mirrored})": ref["workloads"][mirrored]["answers"]}
    answers.update({f"{label} ({name})": w["answers"] for label, w in ran.items()})
    return _compare(name, common.inputs_for(mirrored, workload), answers)


def _check_as_of(results, ran):
    """The as-of scan reads the loaded version, so it must equal scan_sum of the load."""
    problems = []
    reference = next(((label, r) for label, r in results.items() if "scan_sum" in r["workloads"]), None)
    if reference is None:
        return ["as_of_scan: no engine ran scan_sum to check it against"]
    ref_label, ref = reference
    expected = ref["workloads"]["scan_sum"]["answers"]
    for label, w in ran.items():
        if not same(w["answers"], expected):
            problems.append(
                f"as_of_scan: {label} answered {_show(w['answers'])}, "
                f"but scan_sum of the loaded data ({ref_label}) is {_show(expected)}"
            )
    return problems
