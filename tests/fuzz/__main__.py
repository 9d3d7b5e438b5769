"""python -m tests.fuzz --reader onnx --iterations 100000 [--seed N] [--findings DIR]
   python -m tests.fuzz --replay FINDING_DIR...

Prints one JSON line of counts per reader (see tests/fuzz/harness.py for the kinds of findings);
exits 1 when any input produced a finding."""
import argparse
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.fuzz.harness import FINDINGS, READERS, replay, run  # noqa: E402


def main():
    p = argparse.ArgumentParser(prog="python -m tests.fuzz")
    p.add_argument("--reader", choices=sorted(READERS) + ["all"], default="all")
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--findings", default="fuzz-findings")
    p.add_argument("--jobs", type=int, default=None, help="conversions at once (default: the CPUs available)")
    p.add_argument("--time-budget", type=float, default=None, help="seconds per reader (stops early)")
    p.add_argument("--replay", nargs="+", metavar="DIR", help="convert saved findings again and print what each does now")
    a = p.parse_args()
    if a.replay:
        still = 0
        for d in a.replay:
            kind, text = replay(d)
            still += kind in FINDINGS
            print("%s: %s" % (d, kind))
            if kind in FINDINGS or kind == "unlocated":
                print("    " + "\n    ".join(text.strip().splitlines()[-6:]))
        return 1 if still else 0
    os.makedirs(a.findings, exist_ok=True)
    bad = 0
    for r in (sorted(READERS) if a.reader == "all" else [a.reader]):
        try:
            c = run(r, a.iterations, a.seed, a.findings, time_budget=a.time_budget, jobs=a.jobs)
        except RuntimeError as e:
            print(json.dumps({"reader": r, "skipped": str(e)}))
            continue
        c["reader"] = r
        c["date"] = datetime.date.today().isoformat()
        print(json.dumps(c), flush=True)
        bad += sum(c[k] for k in FINDINGS)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
