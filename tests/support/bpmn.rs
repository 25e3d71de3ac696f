//! BPMN processes the tests deploy, written out here so each test shows what it runs.

pub fn definitions(key: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="{key}" isExecutable="true" camunda:historyTimeToLive="30">
{body}
  </bpmn:process>
</bpmn:definitions>
"#
    )
}

/// start → external task `work` on `topic` → end.
pub fn one_task(key: &str, topic: &str) -> String {
    definitions(
        key,
        &format!(
            r#"    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="work" name="Work" camunda:type="external" camunda:topic="{topic}" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />"#
        ),
    )
}

/// The same process with a different name: a changed file, a new version.
pub fn one_task_renamed(key: &str, topic: &str, name: &str) -> String {
    one_task(key, topic).replace(r#"name="Work""#, &format!(r#"name="{name}""#))
}

/// start → external task `a` (topic `{key}-a`) → external task `b` (topic `{key}-b`) →
/// end: every instance passes two wait states.
pub fn two_tasks(key: &str) -> String {
    definitions(
        key,
        &format!(
            r#"    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="a" name="A" camunda:type="external" camunda:topic="{key}-a" />
    <bpmn:serviceTask id="b" name="B" camunda:type="external" camunda:topic="{key}-b" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="a" />
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b" />
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="end" />"#
        ),
    )
}

/// start → timer catch event (`duration`) → external task `after` on `topic` → end.
pub fn timer_then_task(key: &str, duration: &str, topic: &str) -> String {
    definitions(
        key,
        &format!(
            r#"    <bpmn:startEvent id="start" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition id="wait_timer">
        <bpmn:timeDuration>{duration}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:serviceTask id="after" camunda:type="external" camunda:topic="{topic}" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after" />
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end" />"#
        ),
    )
}

/// start → external task `work` on `topic`, with an interrupting boundary timer
/// (`duration`) leading to the end event `timedOut`; the task leads to `done`.
pub fn task_with_boundary_timer(key: &str, topic: &str, duration: &str) -> String {
    definitions(
        key,
        &format!(
            r#"    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="work" camunda:type="external" camunda:topic="{topic}" />
    <bpmn:boundaryEvent id="deadline" attachedToRef="work">
      <bpmn:timerEventDefinition id="deadline_timer">
        <bpmn:timeDuration>{duration}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="done" />
    <bpmn:endEvent id="timedOut" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="done" />
    <bpmn:sequenceFlow id="f3" sourceRef="deadline" targetRef="timedOut" />"#
        ),
    )
}

/// start → parallel fork → external tasks `a` (`{key}-a`) and `b` (`{key}-b`) → parallel
/// join → external task `c` (`{key}-c`) → end.
pub fn parallel_pair(key: &str) -> String {
    definitions(
        key,
        &format!(
            r#"    <bpmn:startEvent id="start" />
    <bpmn:parallelGateway id="fork" />
    <bpmn:serviceTask id="a" camunda:type="external" camunda:topic="{key}-a" />
    <bpmn:serviceTask id="b" camunda:type="external" camunda:topic="{key}-b" />
    <bpmn:parallelGateway id="join" />
    <bpmn:serviceTask id="c" camunda:type="external" camunda:topic="{key}-c" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork" />
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="a" />
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="b" />
    <bpmn:sequenceFlow id="f4" sourceRef="a" targetRef="join" />
    <bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="c" />
    <bpmn:sequenceFlow id="f7" sourceRef="c" targetRef="end" />"#
        ),
    )
}

/// start → call activity `call` starting the latest `child` → end.
pub fn caller(key: &str, child: &str) -> String {
    definitions(
        key,
        &format!(
            r#"    <bpmn:startEvent id="start" />
    <bpmn:callActivity id="call" calledElement="{child}" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />"#
        ),
    )
}
