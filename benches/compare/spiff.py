"""SpiffWorkflow's driver for benches/compare/ (protocol: common.py).

SpiffWorkflow runs Camunda-modelled files through its Camunda parser
(SpiffWorkflow.camunda.parser.CamundaParser). Adaptations, each keeping the BPMN
semantics of the fixture:
- Conditions: SpiffWorkflow evaluates sequence-flow conditions as Python expressions,
  Camunda as JUEL. The fixtures' only expression is `${amount > 100}`, whose body is
  the same expression in Python, so the script engine below strips the `${ }` JUEL
  delimiters and evaluates the body with the instance's variables.
- Plain tasks (`bpmn:task`): SpiffWorkflow makes them manual (the instance stops until
  someone completes them); in BPMN and in Camunda an abstract task does nothing and
  the token passes through. The parser below maps `bpmn:task` to SpiffWorkflow's own
  NoneTask with manual = False, so it completes when reached.
- The external task (`serviceTask camunda:type="external"`): SpiffWorkflow's
  ServiceTask has no implementation of its own; reached, it is left STARTED until the
  application completes it. That is an external task: the driver completes it, as a
  worker would.
"""

from importlib.metadata import version

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.util.task import TaskState

import common


class JuelDelimitersScriptEngine(PythonScriptEngine):
    """Evaluates `${expr}` as the Python expression `expr` (see the module note)."""

    def evaluate(self, task, expression, external_context=None):
        text = expression.strip()
        if text.startswith("${") and text.endswith("}"):
            text = text[2:-1]
        return super().evaluate(task, text, external_context)


class PassThroughTask(NoneTask):
    """`bpmn:task` that completes when reached, as in BPMN and Camunda."""

    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class Parser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("task"): (CamundaTaskParser, PassThroughTask),
    }


class Runner:
    def __init__(self, workload):
        self.workload = workload
        parser = Parser()
        parser.add_bpmn_file(common.fixture_path(workload))
        self.spec = parser.get_spec(workload)
        self.subprocesses = parser.get_subprocess_specs(workload)
        self.script_engine = JuelDelimitersScriptEngine()
        self.started = 0

    def prepare(self):
        pass

    def start(self):
        wf = BpmnWorkflow(self.spec, self.subprocesses, script_engine=self.script_engine)
        if self.workload == "xor":
            wf.get_next_task(state=TaskState.READY).data["amount"] = self.started % 200
        self.started += 1
        wf.do_engine_steps()
        return wf

    def run(self, n):
        if self.workload == "wait":
            waiting = []
            for _ in range(n):
                wf = self.start()
                task = wf.get_next_task(state=TaskState.STARTED)
                assert task is not None and task.task_spec.bpmn_id == "work"
                waiting.append((wf, task))
            for wf, task in waiting:
                task.complete()
                wf.do_engine_steps()
                assert wf.completed, "wait: the instance did not end"
        else:
            for _ in range(n):
                wf = self.start()
                assert wf.completed, f"{self.workload}: the instance did not end"


if __name__ == "__main__":
    common.main("SpiffWorkflow", version("SpiffWorkflow"), Runner)
