"""camunda-external-task-client-python3 (4.x) against procos: its worker with the
library's defaults (deserializeValues true, sorting null, variables null), the
processVariables filter, complete with global and local variables, failure with retries
and a retry timeout, a BPMN error caught by a boundary event, the asyncio client (httpx),
and the EngineClient calls (start, query instances, correlate a message, read a
variable and its data, jobs).
"""

import asyncio
import base64
import json
import time

from camunda.client.async_external_task_client import AsyncExternalTaskClient
from camunda.client.engine_client import EngineClient
from camunda.external_task.external_task_worker import ExternalTaskWorker, NoExternalTaskFound

from common import ENGINE, ok, rest, rest_json, run, wait_for

# The library's defaults, except shorter waits so that a scenario stays quick.
CONFIG = {"asyncResponseTimeout": 3000, "sleepSeconds": 1, "lockDuration": 20000}


def main():
    engine = EngineClient(ENGINE)

    # --- EngineClient.start_process: untyped values, as the library sends them.
    payload = b"\x00\x01binary payload\xff"
    variables = {
        "region": "eu",
        "amount": 42,
        "big": 2**40,
        "ratio": 0.5,
        "vip": True,
        "note": None,
        "order": {"value": json.dumps({"id": 7, "lines": ["a", "b"]}), "type": "Json"},
        "payload": {"value": base64.b64encode(payload).decode(), "type": "Bytes"},
        "customer": {
            "value": json.dumps({"name": "ACME", "tier": 2}),
            "type": "Object",
            "valueInfo": {"objectTypeName": "java.util.HashMap", "serializationDataFormat": "application/json"},
        },
    }
    eu = engine.start_process("clientRetries", variables, business_key="py-eu")
    us = engine.start_process("clientRetries", {"region": "us", "amount": 1}, business_key="py-us")
    for started in (eu, us):
        assert started["definitionKey"] == "clientRetries", started
        assert started["links"][0]["rel"] == "self", started
        assert started["ended"] is False
    ok("start_process", {"eu": eu["businessKey"], "us": us["businessKey"]})

    # The untyped values got Camunda's types.
    typed = rest_json("GET", f"/process-instance/{eu['id']}/variables")
    types = {k: v["type"] for k, v in typed.items()}
    assert types == {
        "region": "String",
        "amount": "Integer",
        "big": "Long",
        "ratio": "Double",
        "vip": "Boolean",
        "note": "Null",
        "order": "Json",
        "payload": "Bytes",
        "customer": "Object",
    }, types
    ok("inferred types", types)

    # --- get_process_instance with a variable filter.
    found = engine.get_process_instance(process_key="clientRetries", variables=["region_eq_eu"])
    assert [p["id"] for p in found] == [eu["id"]], found
    ok("get_process_instance region_eq_eu", len(found))

    # --- get_process_instance_variable: the value, then /data (binary).
    data = engine.get_process_instance_variable(eu["id"], "payload")
    assert base64.decodebytes(data.encode()) == payload, data
    meta = engine.get_process_instance_variable(eu["id"], "payload", with_meta=True)
    assert meta["type"] == "Bytes", meta
    ok("get_process_instance_variable payload", meta["type"])

    # --- The worker, with the library's defaults.
    worker = ExternalTaskWorker("py-worker", ENGINE, CONFIG)
    cfg = worker.client.config
    assert cfg["deserializeValues"] is True and cfg["sorting"] is None and cfg["maxTasks"] == 1
    topics = worker.client._get_topics("client-flaky", {"region": "eu"}, None)
    assert topics[0]["variables"] is None and topics[0]["deserializeValues"] is True, topics
    assert topics[0]["includeExtensionProperties"] is True, topics
    ok("library defaults", {"deserializeValues": True, "sorting": None, "variables": None})

    seen = []

    def flaky(task):
        seen.append((time.monotonic(), task))
        assert task.get_business_key() == "py-eu", task
        assert task.get_variable("region") == "eu"
        assert task.get_variable("amount") == 42
        assert task.get_variable("big") == 2**40
        assert task.get_variable("ratio") == 0.5
        assert task.get_variable("vip") is True
        assert task.get_variable("note") is None
        order = task.get_variable("order", with_meta=True)
        assert order["type"] == "Json" and json.loads(order["value"]) == {"id": 7, "lines": ["a", "b"]}
        # deserializeValues (the library's default, true): a JSON Object arrives as a tree.
        assert task.get_variable("customer") == {"name": "ACME", "tier": 2}, task.get_variable("customer")
        assert task.get_extension_properties() == {}
        if len(seen) == 1:
            # First attempt: retries is null, so the library reports its maximum, 3.
            return task.failure("backend unavailable", "Traceback: ...", max_retries=3, retry_timeout=1000)
        # Second attempt: the failure is recorded; the library counts down.
        assert task._context["retries"] == 3, task
        assert task._context["errorMessage"] == "backend unavailable", task
        return task.complete({"result": "shipped", "attempts": 2}, {"attemptLocal": 2})

    # processVariables filter: only the eu instance's task is fetched.
    worker.fetch_and_execute("client-flaky", flaky, process_variables={"region": "eu"})
    assert len(seen) == 1
    t = rest_json("GET", f"/external-task/{seen[0][1].get_task_id()}")
    assert t["retries"] == 3 and t["errorMessage"] == "backend unavailable", t
    ok("failure recorded", {"retries": t["retries"]})
    failed_at = time.monotonic()
    # The task comes back once the retry timeout has passed (a long poll may be answered
    # as soon as it has, or empty at its timeout: both are Camunda's behaviour).
    while len(seen) < 2:
        assert time.monotonic() - failed_at < 15, "the task did not come back"
        try:
            worker.fetch_and_execute("client-flaky", flaky, process_variables={"region": "eu"})
        except NoExternalTaskFound:
            pass
    assert len(seen) == 2, seen
    # seen[0] was taken before the failure was reported, so at least the retry timeout
    # lies between the two attempts.
    assert seen[1][0] - seen[0][0] >= 0.95, "fetched again before the retry timeout"
    ok("refetched after the retry timeout and completed")
    hist = rest_json("GET", f"/history/process-instance/{eu['id']}")
    assert hist["state"] == "COMPLETED", hist
    vars_hist = rest_json("GET", f"/history/variable-instance?processInstanceId={eu['id']}&variableName=result")
    assert [v["value"] for v in vars_hist] == ["shipped"], vars_hist

    # The us task was never touched by the filtered fetches.
    us_task = rest_json("GET", f"/external-task?processInstanceId={us['id']}")
    assert len(us_task) == 1 and us_task[0]["workerId"] is None, us_task
    ok("processVariables filter left the us task alone")

    # --- The asyncio client (httpx): fetch the us task and complete it.
    async def async_worker():
        client = AsyncExternalTaskClient("py-async", ENGINE, CONFIG)
        tasks = await client.fetch_and_lock("client-flaky", {"region": "us"})
        assert len(tasks) == 1, tasks
        assert tasks[0]["businessKey"] == "py-us"
        assert tasks[0]["variables"]["amount"] == {"type": "Integer", "value": 1, "valueInfo": {}}
        assert await client.complete(tasks[0]["id"], {"asyncDone": True}) is True

    asyncio.run(async_worker())
    wait_for("the us instance to complete", lambda: rest_json("GET", f"/history/process-instance/{us['id']}")["state"] == "COMPLETED")
    ok("async client fetched and completed")

    # --- A BPMN error, caught by the boundary event.
    risky = engine.start_process("clientBpmnError", {"score": 97})

    def reject(task):
        assert task.get_variable("score") == 97
        return task.bpmn_error("RISK_TOO_HIGH", "score above 90", {"reason": "python"})

    worker.fetch_and_execute("client-risk", reject)
    tasks = rest_json("GET", f"/task?processInstanceId={risky['id']}")
    assert [t["taskDefinitionKey"] for t in tasks] == ["reviewRisk"], tasks
    reason = rest_json("GET", f"/process-instance/{risky['id']}/variables/reason")
    assert reason["value"] == "python", reason
    ok("bpmn_error caught by the boundary event", tasks[0]["taskDefinitionKey"])

    # --- correlate_message: the order waits for PaymentReceived after its user task.
    order = engine.start_process("clientOrder", {"total": 99.5}, business_key="py-order")
    user_tasks = rest_json("GET", f"/task?processInstanceId={order['id']}")
    assert [t["taskDefinitionKey"] for t in user_tasks] == ["approveOrder"], user_tasks
    rest("POST", f"/task/{user_tasks[0]['id']}/complete", {"variables": {}}, status=204)
    result = engine.correlate_message("PaymentReceived", business_key="py-order", process_variables={"paid": True})
    assert isinstance(result, list) and len(result) == 1, result
    assert result[0]["resultType"] == "Execution", result
    assert result[0]["execution"]["processInstanceId"] == order["id"], result
    ok("correlate_message", result[0]["resultType"])

    def ship(task):
        assert task.get_variable("paid") is True
        assert task.get_variable("total") == 99.5
        return task.complete({"shipped": True})

    worker.fetch_and_execute("client-ship", ship)
    wait_for("the order to complete", lambda: rest_json("GET", f"/history/process-instance/{order['id']}")["state"] == "COMPLETED")
    ok("order completed")

    # A message nothing waits for: the engine's 400 reaches the caller as an exception.
    try:
        engine.correlate_message("NobodyListens", business_key="nobody")
        raise AssertionError("correlating an unknown message must fail")
    except Exception as e:  # the library raises a plain Exception with the status
        assert "received 400" in str(e), e
        ok("uncorrelated message", str(e).split(" : ")[0])

    # --- Jobs: a timer job, listed and given new retries.
    timer = engine.start_process("clientTimer", {})
    jobs = engine.get_jobs(offset=0, limit=10, process_instance_id=timer["id"])
    assert len(jobs) == 1, jobs
    assert jobs[0]["processInstanceId"] == timer["id"], jobs
    assert engine.set_job_retry(jobs[0]["id"], retries=5) is True
    again = engine.get_jobs(offset=0, limit=10, process_instance_id=timer["id"])
    assert again[0]["retries"] == 5, again
    ok("get_jobs and set_job_retry", {"jobs": len(jobs), "retries": 5})


if __name__ == "__main__":
    run("python external task client", main)
