"""Summarizes a benches/compare/run: reads compare.jsonl and peak_rss.jsonl from the
report folder (target/bench-report), writes compare.json and compare.md there, and
prints compare.md. Figures are medians over the repeated runs."""

import json
import os
import statistics
import sys

OTHERS = ("bpmn-engine", "SpiffWorkflow", "camunda-python")
WORKLOADS = ("straight", "xor", "parallel10", "wait")
DESCRIPTION = {
    "straight": "start → task → end",
    "xor": "exclusive gateway, JUEL condition, one task",
    "parallel10": "10-branch parallel fork and join",
    "wait": "start to an external task, then complete",
}
TARGET_RATIO = 20
TARGET_PEAK_KB = 30 * 1024


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def rate(r):
    return f"{r:,.0f}/s" if r is not None else "—"


def mib(kb):
    return f"{kb / 1024:,.1f} MiB" if kb is not None else "—"


def summarize(out):
    runs = read_jsonl(os.path.join(out, "compare.jsonl"))
    peaks = read_jsonl(os.path.join(out, "peak_rss.jsonl"))
    engines = [e for e in ("procos",) + OTHERS if any(r.get("engine") == e for r in runs)]

    cells = {}
    for w in WORKLOADS:
        for e in engines:
            ok = [r for r in runs if r["engine"] == e and r["workload"] == w and "rate" in r]
            failed = [r for r in runs if r["engine"] == e and r["workload"] == w and "error" in r]
            if not ok and not failed:
                continue
            cells[(w, e)] = {
                "rates": [r["rate"] for r in ok],
                "median_rate": statistics.median(r["rate"] for r in ok) if ok else None,
                "peak_rss_kb": statistics.median(r["peak_rss_kb"] for r in ok) if ok else None,
                "count": (ok or failed)[0]["count"],
                "version": ok[0].get("version") if ok else None,
                "errors": [r["error"] for r in failed],
            }

    rows = []
    for w in WORKLOADS:
        if not any((w, e) in cells for e in engines):
            continue
        others = {e: cells[(w, e)]["median_rate"] for e in OTHERS if (w, e) in cells}
        measured = {e: r for e, r in others.items() if r is not None}
        fastest = max(measured, key=measured.get) if measured else None
        procos = cells.get((w, "procos"), {}).get("median_rate")
        ratio = procos / measured[fastest] if procos and fastest else None
        rows.append(
            {
                "workload": w,
                "count": next(cells[(w, e)]["count"] for e in engines if (w, e) in cells),
                "rates": {e: cells[(w, e)]["median_rate"] for e in engines if (w, e) in cells},
                "fastest_other": fastest,
                "fastest_other_rate": measured.get(fastest),
                "procos": procos,
                "ratio": ratio,
                "target_met": ratio is not None and ratio >= TARGET_RATIO,
            }
        )

    peak = None
    if peaks:
        kb = statistics.median(p["peak_rss_kb"] for p in peaks)
        peak = {
            "peak_rss_kb": kb,
            "runs_kb": [p["peak_rss_kb"] for p in peaks],
            "waiting": peaks[0]["waiting"],
            "target_kb": TARGET_PEAK_KB,
            "target_met": kb < TARGET_PEAK_KB,
        }

    versions = {e: cells[k]["version"] for k in cells for e in [k[1]] if cells[k]["version"]}
    summary = {
        "rows": rows,
        "cells": {f"{w}/{e}": c for (w, e), c in cells.items()},
        "peak_rss": peak,
        "versions": versions,
        "engines": engines,
    }
    with open(os.path.join(out, "compare.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)

    others = [e for e in OTHERS if e in engines]
    md = []
    head = ["workload", "instances per batch"] + others + ["fastest other", "procos", "procos ÷ fastest", f"≥ {TARGET_RATIO}×"]
    md.append("| " + " | ".join(head) + " |")
    md.append("|" + "|".join(["---"] + ["--:"] * (len(head) - 5) + ["---", "--:", "--:", ":-:"]) + "|")
    for row in rows:
        w = row["workload"]
        line = [f"{w} ({DESCRIPTION[w]})", f"{row['count']:,}"]
        for e in others:
            c = cells.get((w, e))
            line.append("failed" if c and c["median_rate"] is None else rate(c and c["median_rate"]))
        line.append(f"{row['fastest_other']}" if row["fastest_other"] else "—")
        line.append(rate(row["procos"]))
        line.append(f"{row['ratio']:,.0f}×" if row["ratio"] else "—")
        line.append("met" if row["target_met"] else "**not met**")
        md.append("| " + " | ".join(line) + " |")
    md.append("")
    md.append("Peak resident memory of each driver process in the `wait` workload "
              "(the interpreter or runtime included, with 10,000 instances waiting at once):")
    md.append("")
    md.append("| " + " | ".join(engines) + " |")
    md.append("|" + "|".join(["--:"] * len(engines)) + "|")
    md.append("| " + " | ".join(mib(cells.get(("wait", e), {}).get("peak_rss_kb")) for e in engines) + " |")
    if peak:
        md.append("")
        md.append(
            f"procos, `cargo bench --bench peak_rss` ({peak['waiting']:,} instances waiting at an "
            f"external task, whole process): peak RSS **{mib(peak['peak_rss_kb'])}** (median of "
            f"{len(peak['runs_kb'])}: {', '.join(mib(k) for k in peak['runs_kb'])}); "
            f"target < 30 MiB: {'met' if peak['target_met'] else '**not met**'}."
        )
    failures = [(k, c["errors"]) for k, c in cells.items() if c["errors"]]
    if failures:
        md.append("")
        md.append("Failed runs:")
        for (w, e), errs in failures:
            md.append(f"- {e} {w}: {errs[0]}")
    md.append("")
    md.append("Every run (instances per second):")
    md.append("")
    md.append("| workload | engine | runs |")
    md.append("|---|---|---|")
    for w in WORKLOADS:
        for e in engines:
            c = cells.get((w, e))
            if c:
                md.append(f"| {w} | {e} | {', '.join(f'{r:,.0f}' for r in c['rates']) or '—'} |")
    text = "\n".join(md) + "\n"
    with open(os.path.join(out, "compare.md"), "w", encoding="utf-8") as f:
        f.write(text)
    return text


if __name__ == "__main__":
    print(summarize(sys.argv[1] if len(sys.argv) > 1 else "target/bench-report"), end="")
