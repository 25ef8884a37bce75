#!/usr/bin/env python3
"""Summarises a Chrome trace from `lorafit-cli bench --profile FILE`: the
operators by self time (their own time, without the operators they called),
per thread and in total, so the costly kernels of a training step stand out.

    python3 tests/bench/profile_summary.py TRACE.json [--top 30]
"""
import argparse
import collections
import json


def self_times(events):
    """Self time per operator name from complete ('X') events, nesting by thread."""
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X":
            by_thread[e.get("tid")].append(e)
    totals = collections.defaultdict(float)
    counts = collections.Counter()
    for evs in by_thread.values():
        evs.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []  # [end, name, child time]
        for e in evs:
            start, dur = float(e["ts"]), float(e["dur"])
            while stack and stack[-1][0] <= start:
                end, name, child = stack.pop()
                totals[name] -= child
            if stack:
                stack[-1][2] += dur
            totals[e["name"]] += dur
            counts[e["name"]] += 1
            stack.append([start + dur, e["name"], 0.0])
        while stack:
            end, name, child = stack.pop()
            totals[name] -= child
    return totals, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with open(args.trace) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    totals, counts = self_times(events)
    grand = sum(totals.values())
    print(f"{'operator':48} {'calls':>7} {'self ms':>10} {'share':>7}")
    for name, us in sorted(totals.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{name[:48]:48} {counts[name]:7d} {us / 1000:10.1f} {100 * us / grand:6.1f}%")
    print(f"{'all operators':48} {sum(counts.values()):7d} {grand / 1000:10.1f}")


if __name__ == "__main__":
    main()
