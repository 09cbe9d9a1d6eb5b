"""Checks a Locust run (``scripts/load-test.sh``): no failures and the aggregated p95 within
the target. Prints the per-endpoint table from Locust's ``*_stats.csv``; exits 1 on a miss."""

import argparse
import csv
import sys


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("stats_csv")
    parser.add_argument("--p95-ms", type=float, default=500)
    args = parser.parse_args(argv)
    with open(args.stats_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    print(f"{'endpoint':<48} {'requests':>8} {'failures':>8} {'p50':>7} {'p95':>7} {'p99':>7}")
    total = None
    for row in rows:
        name = f"{row['Type']} {row['Name']}".strip()
        print(
            f"{name[:48]:<48} {row['Request Count']:>8} {row['Failure Count']:>8} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
        if row["Name"] == "Aggregated":
            total = row
    if total is None:
        print("no aggregated row: did Locust run?")
        return 1
    failures, p95 = int(total["Failure Count"]), float(total["95%"])
    met = failures == 0 and p95 <= args.p95_ms and int(total["Request Count"]) > 0
    print(f"aggregated: {total['Request Count']} requests, {failures} failures, p95 {p95:.0f} ms")
    print(f"target: no failures, p95 <= {args.p95_ms:.0f} ms: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
