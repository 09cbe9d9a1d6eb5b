"""Read Lighthouse's JSON reports (var/lighthouse/*.json), print one table and check the
targets of docs/PERFORMANCE.md; exit 1 when one is missed."""

import json
import sys
from pathlib import Path

ORDER = ["home", "course", "lesson", "quiz", "result"]
TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 95}
MAX_KB = 200


def main(directory: str) -> int:
    rows, failures = [], []
    for name in ORDER:
        path = Path(directory) / f"{name}.json"
        if not path.exists():
            failures.append(f"{name}: no report")
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        scores = {k: round(100 * (report["categories"][k]["score"] or 0)) for k in TARGETS}
        audits = report["audits"]
        kb = audits["total-byte-weight"]["numericValue"] / 1024
        lcp = audits["largest-contentful-paint"]["numericValue"] / 1000
        tbt = audits["total-blocking-time"]["numericValue"]
        cls = audits["cumulative-layout-shift"]["numericValue"]
        rows.append((name, scores, kb, lcp, tbt, cls, report["finalDisplayedUrl"]))
        for key, target in TARGETS.items():
            if scores[key] < target:
                failing = [
                    a["id"]
                    for a in (audits[r["id"]] for r in report["categories"][key]["auditRefs"])
                    if a.get("score") is not None and a["score"] < 1 and r_weight(report, key, a)
                ]
                failures.append(f"{name}: {key} {scores[key]} < {target} ({', '.join(failing)})")
        if kb > MAX_KB:
            failures.append(f"{name}: {kb:.0f} KB > {MAX_KB} KB")
    print("| page | performance | accessibility | best practices | transfer | LCP | TBT | CLS |")
    print("|---|---|---|---|---|---|---|---|")
    for name, s, kb, lcp, tbt, cls, _url in rows:
        print(
            f"| {name} | {s['performance']} | {s['accessibility']} | {s['best-practices']} "
            f"| {kb:.0f} KB | {lcp:.1f} s | {tbt:.0f} ms | {cls:.3f} |"
        )
    for failure in failures:
        print("MISSED:", failure)
    return 1 if failures else 0


def r_weight(report: dict, key: str, audit: dict) -> bool:
    refs = report["categories"][key]["auditRefs"]
    return any(r["id"] == audit["id"] and r.get("weight", 0) > 0 for r in refs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "var/lighthouse"))
