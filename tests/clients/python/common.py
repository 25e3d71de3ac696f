"""Shared helpers of the Python client scenarios.

Each scenario is a script that takes the engine URL from PROCOS_ENGINE_URL, drives a
real Camunda client library against it, prints what it observed ("ok: ..." per check)
and exits non-zero on the first failed expectation. The processes are deployed by the
Rust test that runs the script.
"""

import json
import os
import signal
import sys
import time
import traceback

import requests

ENGINE = os.environ.get("PROCOS_ENGINE_URL", "").rstrip("/")
if not ENGINE:
    print("PROCOS_ENGINE_URL is not set (e.g. http://127.0.0.1:8080/engine-rest)", file=sys.stderr)
    sys.exit(2)


def ok(what, value=None):
    """Prints one observation."""
    if value is None:
        print(f"ok: {what}", flush=True)
    else:
        print(f"ok: {what}: {json.dumps(value, default=str, sort_keys=True)}", flush=True)


def rest(method, path, body=None, status=None, **kwargs):
    """A plain REST call (not through the client under test); asserts `status` if given."""
    r = requests.request(method, ENGINE + path, json=body, timeout=30, **kwargs)
    if status is not None:
        assert r.status_code == status, f"{method} {path} answered {r.status_code}: {r.text}"
    return r


def rest_json(method, path, body=None, status=200):
    return rest(method, path, body, status=status).json()


def wait_for(what, check, seconds=20):
    """Polls `check` until it returns a truthy value."""
    deadline = time.monotonic() + seconds
    while True:
        v = check()
        if v:
            return v
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def run(name, main, seconds=90):
    """Runs a scenario: PASS and exit 0, or FAIL and exit 1; at most `seconds` long."""

    def timeout(_sig, _frame):
        raise TimeoutError(f"{name} took longer than {seconds} s")

    signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        main()
    except BaseException:  # noqa: B902 - every failure ends the scenario
        print("FAIL:", traceback.format_exc(), flush=True)
        sys.exit(1)
    signal.alarm(0)
    print(f"PASS {name}", flush=True)
    sys.exit(0)
