"""The timing protocol every driver of benches/compare/ follows (examples/compare.rs is
procos's copy of it), so that all engines run the same workloads the same way:

    DRIVER WORKLOAD COUNT MIN_SECONDS

- the fixture benches/fixtures/WORKLOAD.bpmn is read and parsed once, untimed;
- COUNT // 10 instances warm the engine up (untimed);
- then batches of COUNT instances run until MIN_SECONDS of timed work have passed (at
  least one batch); per-batch set-up a driver needs (a fresh engine) is untimed;
- one JSON line is printed: engine, version, workload, count, instances, seconds,
  rate (instances per second over the timed batches) and peak_rss_kb (VmHWM of the
  whole driver process).

Workloads: straight, xor (variable amount = i % 200, so both branches run),
parallel10, and wait (a batch starts COUNT instances to the external task, then the
driver completes each one, as a worker would).
"""

import json
import os
import sys
import time

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
WORKLOADS = ("straight", "xor", "parallel10", "wait")


def fixture_path(name):
    return os.path.join(FIXTURES, name + ".bpmn")


def fixture(name):
    with open(fixture_path(name), encoding="utf-8") as f:
        return f.read()


def proc_status_kb(field):
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main(engine, version, runner_class):
    """runner_class(workload) parses the fixture; .prepare() is the untimed per-batch
    set-up; .run(n) runs n instances of the workload and checks that each ended."""
    workload, count, min_seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    if workload not in WORKLOADS:
        sys.exit(f"unknown workload {workload!r}; one of {WORKLOADS}")
    runner = runner_class(workload)
    runner.prepare()
    runner.run(max(count // 10, 1))
    seconds = 0.0
    instances = 0
    while True:
        runner.prepare()
        started = time.perf_counter()
        runner.run(count)
        seconds += time.perf_counter() - started
        instances += count
        if seconds >= min_seconds:
            break
    print(
        json.dumps(
            {
                "engine": engine,
                "version": version,
                "workload": workload,
                "count": count,
                "instances": instances,
                "seconds": round(seconds, 6),
                "rate": round(instances / seconds, 1),
                "peak_rss_kb": proc_status_kb("VmHWM"),
            }
        ),
        flush=True,
    )
