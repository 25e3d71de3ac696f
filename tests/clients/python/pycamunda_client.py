"""pycamunda (0.6) against procos. pycamunda reads every key of every response with
data['key'], so each call below also proves that procos's response carries every key
Camunda's DTO has.

Deploy (multipart, parts `resource-0…`, booleans as `True`/`False`), list deployments
and definitions, start with every variable type (and withVariablesInReturn), query
instances and variables, user tasks (list, claim, complete), correlate messages, fetch,
extend, fail, unlock and complete external tasks, incidents, the activity instance tree,
statistics, variable instances, and history.
"""

import base64
import datetime as dt
import json
import os

import pycamunda.activityinst
import pycamunda.deployment
import pycamunda.externaltask
import pycamunda.incident
import pycamunda.message
import pycamunda.processdef
import pycamunda.processinst
import pycamunda.task
import pycamunda.variable
import pycamunda.version

from common import ENGINE, ok, rest_json, run

URL = ENGINE
PROCESSES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "processes")


def deploy_and_list():
    with open(os.path.join(PROCESSES, "client_order.bpmn"), "rb") as f:
        xml = f.read()

    # A deployment without filtering: a new version of clientOrder.
    create = pycamunda.deployment.Create(URL, name="pycamunda-order", source="pycamunda")
    create.add_resource(("client_order.bpmn", xml))
    first = create()
    assert first.name == "pycamunda-order" and first.source == "pycamunda", first
    assert first.deployed_case_definitions is None and first.deployed_decision_definitions is None
    defs = list(first.deployed_process_definitions.values())
    assert [d.key for d in defs] == ["clientOrder"], defs
    assert defs[0].resource == "client_order.bpmn", defs[0]
    version = defs[0].version
    assert version >= 1, defs
    ok("deployment created", {"key": defs[0].key, "resource": defs[0].resource})

    # The same diagram again with duplicate filtering (sent as 'True'): nothing new, the
    # existing deployment comes back with null definitions.
    for changed_only in (False, True):
        again = pycamunda.deployment.Create(
            URL,
            name="pycamunda-order",
            source="pycamunda",
            enable_duplicate_filtering=True,
            deploy_changed_only=changed_only,
        )
        again.add_resource(("client_order.bpmn", xml))
        same = again()
        assert same.id_ == first.id_, (same, first)
        assert same.deployed_process_definitions is None, same
        ok("duplicate filtered", {"deployChangedOnly": changed_only})

    deployments = pycamunda.deployment.GetList(URL, name="pycamunda-order")()
    assert [d.id_ for d in deployments] == [first.id_], deployments
    assert isinstance(deployments[0].deployment_time, dt.datetime)
    one = pycamunda.deployment.Get(URL, id_=first.id_)()
    assert one.id_ == first.id_
    resources = pycamunda.deployment.GetResources(URL, id_=first.id_)()
    assert [r.name for r in resources] == ["client_order.bpmn"], resources
    ok("deployments listed", len(deployments))

    latest = pycamunda.processdef.GetList(URL, key="clientOrder", latest_version=True)()
    assert len(latest) == 1 and latest[0].version == version, latest
    assert latest[0].history_time_to_live == 30, latest[0]
    assert pycamunda.processdef.Count(URL, key="clientOrder")() == version
    by_key = pycamunda.processdef.Get(URL, key="clientOrder")()
    assert by_key.id_ == latest[0].id_
    xml_back = pycamunda.processdef.GetXML(URL, id_=by_key.id_)()
    assert "PaymentReceived" in xml_back, xml_back[:200]
    ok("definitions listed", {"latest": latest[0].version})
    return by_key


def start_with_every_type(definition):
    start = pycamunda.processdef.StartInstance(
        URL, key="clientOrder", business_key="pyc-1", with_variables_in_return=True
    )
    start.add_variable("str", "text", "String")
    start.add_variable("int", 42, "Integer")
    start.add_variable("long", 2**40, "Long")
    start.add_variable("short", 7, "Short")
    start.add_variable("dbl", 2.5, "Double")
    start.add_variable("bool", False, "Boolean")
    start.add_variable("date", pycamunda.base.isoformat(dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)), "Date")
    start.add_variable("json", json.dumps({"a": [1, 2]}), "Json")
    start.add_variable("xml", "<a>1</a>", "Xml")
    start.add_variable(
        "obj",
        json.dumps({"k": "v"}),
        "Object",
        {"objectTypeName": "java.util.HashMap", "serializationDataFormat": "application/json"},
    )
    start.add_variable("nul", None, "Null")
    start.add_variable("bytes", base64.b64encode(b"\x00\x01\x02").decode(), "Bytes")
    start.add_variable(
        "file",
        base64.b64encode(b"hello file").decode(),
        "File",
        {"filename": "hello.txt", "mimeType": "text/plain"},
    )
    start.add_variable("untyped", 12)
    instance = start()
    assert instance.definition_id == definition.id_, instance
    assert instance.business_key == "pyc-1"
    assert instance.links and instance.links[0].rel == "self", instance.links
    v = instance.variables
    types = {name: var.type_ for name, var in v.items()}
    assert types == {
        "str": "String",
        "int": "Integer",
        "long": "Long",
        "short": "Short",
        "dbl": "Double",
        "bool": "Boolean",
        "date": "Date",
        "json": "Json",
        "xml": "Xml",
        "obj": "Object",
        "nul": "Null",
        "bytes": "Bytes",
        "file": "File",
        "untyped": "Integer",
    }, types
    assert v["date"].value == "2024-05-06T07:08:09.123+0000", v["date"]
    assert v["obj"].value == json.dumps({"k": "v"}), v["obj"]  # serialized
    assert v["file"].value is None and v["file"].value_info["filename"] == "hello.txt", v["file"]
    ok("started with every type", sorted(types))

    listed = pycamunda.processinst.GetList(URL, business_key="pyc-1")()
    assert [p.id_ for p in listed] == [instance.id_], listed
    got = pycamunda.processinst.Get(URL, id_=instance.id_)()
    assert got.business_key == "pyc-1" and got.suspended is False
    all_vars = pycamunda.processinst.VariablesGetList(URL, instance.id_, deserialize_values=True)()
    assert all_vars["obj"].value == {"k": "v"}, all_vars["obj"]  # deserialized
    assert all_vars["long"].value == 2**40
    raw = pycamunda.processinst.VariablesGet(URL, instance.id_, "file", binary=True)()
    assert raw == b"hello file", raw
    ok("instance and variables read", {"variables": len(all_vars)})
    return instance


def user_task(instance):
    tasks = pycamunda.task.GetList(URL, process_instance_id=instance.id_, candidate_group="sales")()
    assert len(tasks) == 1 and tasks[0].task_definition_key == "approveOrder", tasks
    task = tasks[0]
    assert task.assignee is None and isinstance(task.created, dt.datetime), task
    pycamunda.task.Claim(URL, id_=task.id_, user_id="demo")()
    claimed = pycamunda.task.Get(URL, id_=task.id_)()
    assert claimed.assignee == "demo", claimed
    assert [t.id_ for t in pycamunda.task.GetList(URL, assignee="demo")()] == [task.id_]
    complete = pycamunda.task.Complete(URL, id_=task.id_, with_variables_in_return=True)
    complete.add_variable("approved", True, "Boolean")
    returned = complete()
    assert returned["approved"].value is True, returned
    assert len(pycamunda.task.GetList(URL, process_instance_id=instance.id_)()) == 0
    ok("user task listed, claimed and completed", task.task_definition_key)


def correlate(instance):
    # Nothing waits for this one: correlate-all answers an empty list.
    none = pycamunda.message.CorrelateAll(URL, message_name="NobodyListens", result_enabled=True)()
    assert list(none) == [], none

    msg = pycamunda.message.CorrelateSingle(
        URL,
        message_name="PaymentReceived",
        business_key="pyc-1",
        result_enabled=True,
        # Not variables_in_result_enabled: pycamunda 0.6 iterates the `variables` map of
        # the answer as if it were a list, which fails against Camunda 7.23 too.
    )
    msg.add_process_variable("paid", True, "Boolean")
    (result,) = msg()
    assert result.result_type == pycamunda.message.ResultType.execution, result
    assert result.execution.process_instance_id == instance.id_, result
    ok("message correlated", result.result_type.value)

    # A message start event: the result carries the new process instance.
    start = pycamunda.message.CorrelateSingle(
        URL, message_name="OrderPlaced", business_key="pyc-placed", result_enabled=True
    )
    start.add_process_variable("item", "book", "String")
    (started,) = start()
    assert started.result_type == pycamunda.message.ResultType.process_definition, started
    placed = started.process_instance
    assert placed.business_key == "pyc-placed" and placed.links is not None, placed
    (check,) = pycamunda.task.GetList(URL, process_instance_id=placed.id_)()
    assert check.task_definition_key == "checkOrder", check
    ok("message started an instance", started.result_type.value)


def external_tasks(instance):
    fetch = pycamunda.externaltask.FetchAndLock(URL, worker_id="pyc", max_tasks=5, async_response_timeout=5000)
    fetch.add_topic("client-ship", lock_duration=10000, variables=["paid", "str"])
    tasks = fetch()
    assert len(tasks) == 1, tasks
    task = tasks[0]
    assert task.process_instance_id == instance.id_ and task.activity_id == "shipOrder", task
    assert isinstance(task.lock_expiration_time, dt.datetime), task
    assert set(task.variables) == {"paid", "str"}, task.variables
    assert task.variables["paid"].value is True
    assert task.retries is None and task.error_details is None

    pycamunda.externaltask.ExtendLock(URL, id_=task.id_, new_duration=60000, worker_id="pyc")()
    listed = pycamunda.externaltask.GetList(URL, process_instance_id=instance.id_)()
    assert len(listed) == 1 and listed[0].worker_id == "pyc", listed
    assert listed[0].lock_expiration_time > task.lock_expiration_time, listed
    assert pycamunda.externaltask.Count(URL, topic_name="client-ship")() == 1
    ok("fetched and lock extended", task.activity_id)

    pycamunda.externaltask.HandleFailure(
        URL, id_=task.id_, worker_id="pyc", error_message="carrier down",
        error_details="timeout after 30 s", retries=1, retry_timeout=0,
    )()
    failed = pycamunda.externaltask.Get(URL, id_=task.id_)()
    assert failed.retries == 1 and failed.error_message == "carrier down", failed
    assert failed.error_details == "timeout after 30 s", failed
    ok("failure reported", {"retries": failed.retries})

    pycamunda.externaltask.Unlock(URL, id_=task.id_)()
    unlocked = pycamunda.externaltask.Get(URL, id_=task.id_, request_error_details=False)()
    assert unlocked.worker_id is None and unlocked.lock_expiration_time is None, unlocked

    refetch = pycamunda.externaltask.FetchAndLock(URL, worker_id="pyc-2", max_tasks=1)
    refetch.add_topic("client-ship", lock_duration=10000)
    again = refetch()
    assert [t.id_ for t in again] == [task.id_], again
    assert again[0].retries == 1 and again[0].error_message == "carrier down"

    complete = pycamunda.externaltask.Complete(URL, id_=task.id_, worker_id="pyc-2")
    complete.add_variable("trackingNo", "TRK-1", "String")
    complete.add_variable("weight", 1.5)
    complete.add_local_variable("carrier", "ups", "String")
    complete()
    ok("unlocked, refetched and completed")


def bpmn_error():
    instance = pycamunda.processdef.StartInstance(URL, key="clientBpmnError")
    instance.add_variable("score", 99, "Integer")
    started = instance()
    fetch = pycamunda.externaltask.FetchAndLock(URL, worker_id="pyc", max_tasks=1)
    fetch.add_topic("client-risk", lock_duration=10000)
    (task,) = fetch()
    error = pycamunda.externaltask.HandleBPMNError(
        URL, id_=task.id_, worker_id="pyc", error_code="RISK_TOO_HIGH", error_message="99"
    )
    error.add_variable("rejectedBy", "pycamunda", "String")
    error()
    tasks = pycamunda.task.GetList(URL, process_instance_id=started.id_)()
    assert [t.task_definition_key for t in tasks] == ["reviewRisk"], tasks
    ok("BPMN error caught", tasks[0].task_definition_key)


def incidents_and_runtime_views():
    """An external task out of retries: its incident, the activity instance tree, the
    statistics, and the variable instances, each parsed by pycamunda."""
    start = pycamunda.processdef.StartInstance(URL, key="clientRetries", business_key="pyc-incident")
    start.add_variable("attempt", 1, "Integer")
    instance = start()
    fetch = pycamunda.externaltask.FetchAndLock(URL, worker_id="pyc", max_tasks=1)
    fetch.add_topic("client-flaky", lock_duration=10000)
    (task,) = fetch()
    pycamunda.externaltask.HandleFailure(
        URL, id_=task.id_, worker_id="pyc", error_message="gave up",
        error_details="no retries left", retries=0, retry_timeout=0,
    )()

    (incident,) = pycamunda.incident.GetList(URL, process_instance_id=instance.id_)()
    assert incident.incident_type == pycamunda.incident.IncidentType.failed_external_task, incident
    assert incident.configuration == task.id_ and incident.incident_message == "gave up", incident
    assert incident.activity_id == "flaky" and isinstance(incident.incident_timestamp, dt.datetime)
    ok("incident", incident.incident_type.value)

    tree = pycamunda.processinst.GetActivityInstance(URL, id_=instance.id_)()
    assert tree.id_ == instance.id_ and tree.activity_type == "processDefinition", tree
    (child,) = tree.child_activity_instances
    assert child.activity_id == "flaky" and child.activity_type == "serviceTask", child
    assert child.incident_ids == (incident.id_,), child
    ok("activity instance tree", [child.activity_id])

    # By id: procos does not serve /process-definition/key/{key}/statistics yet.
    stats = pycamunda.processdef.GetActivityInstanceStats(
        URL, id_=instance.definition_id, failed_jobs=True, incidents=True
    )()
    by_activity = {a.id_: a for a in stats}
    assert by_activity["flaky"].instances == 1, stats
    assert [(i.incident_type.value, i.incident_count) for i in by_activity["flaky"].incidents] == [("failedExternalTask", 1)], stats
    per_definition = pycamunda.processdef.GetProcessInstanceStats(URL, failed_jobs=True, incidents=True)()
    retries_stats = [d for d in per_definition if d.definition.key == "clientRetries"]
    assert len(retries_stats) == 1 and retries_stats[0].instances == 1, per_definition
    ok("statistics", {"flaky": by_activity["flaky"].instances})

    variables = pycamunda.variable.GetList(URL, process_instance_id_in=[instance.id_])()
    assert [(v.name, v.type_, v.value) for v in variables] == [("attempt", "Integer", 1)], variables
    assert pycamunda.variable.Get(URL, id_=variables[0].id_)().name == "attempt"
    ok("variable instances", [v.name for v in variables])

    # Retries back: the incident is resolved, the task can be fetched and completed.
    pycamunda.externaltask.SetRetries(URL, id_=task.id_, retries=1)()
    assert len(pycamunda.incident.GetList(URL, process_instance_id=instance.id_)()) == 0
    (again,) = fetch()
    pycamunda.externaltask.Complete(URL, id_=again.id_, worker_id="pyc")()
    ok("incident resolved by new retries")


def history(instance):
    # pycamunda 0.6 has no history module: read it the way any client would.
    h = rest_json("GET", f"/history/process-instance/{instance.id_}")
    assert h["state"] == "COMPLETED" and h["businessKey"] == "pyc-1", h
    pycamunda.base.from_isoformat(h["startTime"])
    pycamunda.base.from_isoformat(h["endTime"])
    acts = rest_json("GET", f"/history/activity-instance?processInstanceId={instance.id_}&sortBy=occurrence&sortOrder=asc")
    assert [a["activityId"] for a in acts] == ["start", "approveOrder", "waitPayment", "shipOrder", "end"], acts
    assert acts[1]["assignee"] == "demo", acts[1]
    tracking = rest_json("GET", f"/history/variable-instance?processInstanceId={instance.id_}&variableName=trackingNo")
    assert [v["value"] for v in tracking] == ["TRK-1"], tracking
    ok("history", [a["activityId"] for a in acts])


def main():
    assert pycamunda.version.Get(URL)().startswith("7.")
    definition = deploy_and_list()
    instance = start_with_every_type(definition)
    user_task(instance)
    correlate(instance)
    external_tasks(instance)
    bpmn_error()
    incidents_and_runtime_views()
    history(instance)


if __name__ == "__main__":
    run("pycamunda", main)
