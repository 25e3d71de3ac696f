"""camunda-python's driver for benches/compare/ (protocol: common.py).

camunda-python (PyPI `camunda-python`, import `camunda`) is a pure-Python
reimplementation of the Camunda 7 engine that reads Camunda-modelled BPMN and
evaluates `${...}` conditions itself. It runs in memory when given no store, as here.
Adaptations, each keeping the BPMN semantics of the fixture:
- Plain tasks (`bpmn:task`): its parser rejects the element. A `serviceTask` with no
  implementation is a pass-through in camunda-python, which is what an abstract task is
  in BPMN and in Camunda, so the parser's element table maps `task` to it.
- The external task (`serviceTask camunda:type="external"`): camunda-python has no
  external tasks (an unimplemented service task passes through), so the wait fixture's
  external task is read as a `userTask`: the instance waits there until the driver
  completes the task through the task service, as a worker completes an external task.
  The driver lists the open tasks with one query per batch (the query scans every
  task, so one query per instance would make the batch quadratic).
- A fresh engine per batch (untimed): it keeps every ended instance in memory.
"""

import re
from importlib.metadata import version

from camunda.engine import ProcessEngine
from camunda.model.bpmn import FLOW_NODE_TYPES, ServiceTask
from camunda.parser import parse_bpmn_xml

import common

FLOW_NODE_TYPES.setdefault("task", ServiceTask)

EXTERNAL_TASK = re.compile(r'<bpmn:serviceTask\b([^>]*?)\scamunda:type="external"([^>]*)/>')


def read_fixture(workload):
    xml = common.fixture(workload)
    if workload == "wait":
        xml, n = EXTERNAL_TASK.subn(r"<bpmn:userTask\1\2/>", xml)
        assert n == 1, "wait.bpmn has one external task"
    return xml


class Runner:
    def __init__(self, workload):
        self.workload = workload
        self.model = parse_bpmn_xml(read_fixture(workload))
        self.engine = None
        self.started = 0

    def prepare(self):
        self.engine = ProcessEngine()
        self.engine.deploy(self.model)

    def start(self):
        variables = {"amount": self.started % 200} if self.workload == "xor" else None
        self.started += 1
        return self.engine.start_process_instance_by_key(self.workload, variables)

    def run(self, n):
        engine = self.engine
        if self.workload == "wait":
            waiting = [self.start() for _ in range(n)]
            tasks = engine.create_task_query()
            assert len(tasks) == n, f"wait: {len(tasks)} tasks for {n} instances"
            for task in tasks:
                engine.complete_task(task.id)
            for pi in waiting:
                assert pi.is_completed, "wait: the instance did not end"
        else:
            for _ in range(n):
                pi = self.start()
                assert pi.is_completed, f"{self.workload}: the instance did not end"


if __name__ == "__main__":
    common.main("camunda-python", version("camunda-python"), Runner)
