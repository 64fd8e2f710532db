"""igraph (python-igraph, C core) as the in-memory reference: the graph is built from the
CSVs as integer vertex ids; traversals are igraph's BFS primitives, the person queries
are a dict and plain Python loops over the rows."""

import csv
import os
import time

import igraph

import common


def read_persons(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)  # header name,age,city
        # An empty CSV field is a missing (NULL) value, as in the other engines' loaders.
        return [(name, int(age) if age != "" else None, city if city != "" else None) for name, age, city in reader]


def load(data_dir):
    persons = read_persons(os.path.join(data_dir, "person.csv"))
    index = {row[0]: i for i, row in enumerate(persons)}
    with open(os.path.join(data_dir, "knows.csv"), newline="") as f:
        reader = csv.reader(f)
        next(reader)  # header src,dst,since
        edges = [(index[src], index[dst]) for src, dst, _since in reader]
    graph = igraph.Graph(n=len(persons), edges=edges, directed=True)
    return persons, index, graph


def workloads(persons, index, graph, min_age):
    by_name = {row[0]: row for row in persons}

    def point_lookup(name):
        return common.person_row(by_name.get(name))

    def one_hop(name):
        return len(set(graph.successors(index[name])))

    def k_hop(k):
        # neighborhood() is a BFS bounded at `order`; mindist=1 drops the start (distance 0)
        # even when a cycle leads back to it.
        def run(name):
            return len(graph.neighborhood(index[name], order=k, mode="out", mindist=1))
        return run

    def reachability(name):
        # subcomponent() is the set reachable from the start, the start included.
        return len(graph.subcomponent(index[name], mode="out")) - 1

    def shortest_path(pair):
        a, b = pair
        d = graph.distances(source=index[a], target=index[b], mode="out")[0][0]
        return None if d == float("inf") else int(d)

    def scan_group(_):
        groups = {}
        for _name, age, city in persons:
            if age is not None and age >= min_age:
                count, total = groups.get(city, (0, 0))
                groups[city] = (count + 1, total + age)
        return common.group_rows([(city, n, total / n) for city, (n, total) in groups.items()])

    def scan_sum(_):
        ages = [age for _name, age, _city in persons if age is not None]
        return common.sum_row(len(persons), sum(ages) if ages else None)

    return {
        "point_lookup": point_lookup,
        "one_hop": one_hop,
        "two_hop": k_hop(2),
        "three_hop": k_hop(3),
        "reachability": reachability,
        "shortest_path": shortest_path,
        "scan_group": scan_group,
        "scan_sum": scan_sum,
    }


def main():
    args = common.parse_args(__doc__)
    workload = common.read_workload(args.data)
    start = time.perf_counter()
    persons, index, graph = load(args.data)
    load_seconds = time.perf_counter() - start
    common.log(f"igraph: loaded {graph.vcount()} vertices, {graph.ecount()} edges in {load_seconds:.2f}s")
    results = common.run_workloads(workloads(persons, index, graph, workload["min_age"]), workload, args)
    common.emit(
        "igraph",
        igraph.__version__,
        load_seconds,
        results,
        "in-memory Python API; load = csv parsing + Graph construction",
    )


if __name__ == "__main__":
    main()
