//! `procos validate` over the 520 real BPMN files of `../shared/bpmn/corpus`.
//!
//! Every file must either compile or be rejected with precise problems; no file may
//! crash or hang the validator. Files the corpus marks as negative tests or broken XML
//! must be rejected; files that use only features procos supports must compile, except
//! the ones listed in [`INVALID_FOR_CAMUNDA`], which Camunda 7 refuses too.
//!
//! The corpus is reference material outside the repository; when it is absent this test
//! says so and checks nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

/// Features (as `MANIFEST.tsv` names them) this version of procos refuses. Java
/// delegates, DMN, CMMN, Camunda Connect, non-JavaScript scripts and Camunda 8's
/// `zeebe:` models are refused for good; the rest is later work.
const UNSUPPORTED: &[&str] = &[
    "scriptTask:groovy",
    "scriptTask:python",
    "scriptTask:xslt",
    "scriptTask:reset",
    "sequenceFlow:condition:script(groovy)",
    "sequenceFlow:condition:script(http",
    "callActivity:case",
    "camunda:class",
    "camunda:delegateExpression",
    "serviceTask:class",
    "serviceTask:delegateExpression",
    "camunda:field",
    "camunda:connector",
    "serviceTask:connector",
    "sendTask:connector",
    "businessRuleTask:connector",
    "camunda:decisionRef",
    "businessRuleTask:decisionRef",
    "serviceTask:type=mail",
    "serviceTask:type=shell",
    "sendTask:type=mail",
    "camunda:variableMapping",
    "camunda:caseRef",
    "callActivity:case",
    "standardLoop",
    "adHocSubProcess",
    "complexGateway",
    "zeebe:",
    "activiti:class",
    "activiti:delegateExpression",
    "activiti:field",
    "activiti:script",
    "activiti:executionListener",
    "activiti:taskListener",
    "activiti:async",
    "activiti:asyncAfter",
    "activiti:connector",
    "activiti:collection",
    "startEvent:message+timer",
    "eventSubProcessStart:message+timer",
    "eventSubProcessStart:none",
    "boundaryEvent:none",
    "XML_PARSE_ERROR",
];

/// Files that use only supported features but that Camunda 7 itself refuses to deploy,
/// with the reason procos gives. Keeping the list here (and checking that each file is
/// still rejected) makes every such verdict explicit.
const INVALID_FOR_CAMUNDA: &[(&str, &str)] = &[
    (
        "bpmn-elements/activity-execution.bpmn",
        "message events without messageRef",
    ),
    (
        "bpmn-elements/activity-lifecycle.bpmn",
        "a send task without implementation",
    ),
    (
        "bpmn-elements/engine-issue-180-message.bpmn",
        "a service task without implementation",
    ),
    (
        "bpmn-elements/engine-issue-180-signal.bpmn",
        "a service task without implementation",
    ),
    (
        "bpmn-elements/engine-issue-180.bpmn",
        "an error end event whose error has no errorCode",
    ),
    (
        "bpmn-elements/event-based-gateway-with-same-target.bpmn",
        "a catch event after an event-based gateway with a second incoming flow",
    ),
    (
        "bpmn-elements/issue-31-cm.bpmn",
        "a service task without implementation",
    ),
    (
        "bpmn-elements/issue-31.bpmn",
        "a service task without implementation",
    ),
    (
        "bpmn-elements/service-task-operation.bpmn",
        "not in the BPMN 2.0 namespace (a pre-release schema URI)",
    ),
    (
        "bpmn-elements/service-task.bpmn",
        "an error end event without errorRef",
    ),
    (
        "bpmn-elements/boundary-timeout.bpmn",
        "a task listener with an empty class",
    ),
    (
        "bpmn-engine/boundary-timeout.bpmn",
        "a task listener with an empty class",
    ),
    (
        "bpmn-elements/bpmn-error.bpmn",
        "an input/output mapping on an exclusive gateway",
    ),
    (
        "bpmn-elements/escalation.bpmn",
        "an input/output mapping on an exclusive gateway",
    ),
    (
        "bpmn-elements/multiple-multiple-inbound.bpmn",
        "an input/output mapping on an exclusive gateway",
    ),
    (
        "bpmn-engine/multiple-multiple-inbound.bpmn",
        "an input/output mapping on an exclusive gateway",
    ),
    (
        "bpmn-elements/end-compensate.bpmn",
        "a service task without implementation",
    ),
    (
        "bpmn-elements/engine-issue-105_1.bpmn",
        "a service task without implementation",
    ),
    (
        "bpmn-elements/engine-issue-105_2.bpmn",
        "a service task without implementation",
    ),
    (
        "bpmn-elements/nested-joins.bpmn",
        "a service task without implementation",
    ),
    (
        "bpmn-elements/transaction.bpmn",
        "a service task without implementation",
    ),
    (
        "bpmn-elements/messaging.bpmn",
        "a send task without implementation",
    ),
    (
        "bpmn-engine/messaging.bpmn",
        "a send task without implementation",
    ),
    (
        "bpmn-elements/misp-parallel-loopback.bpmn",
        "an output parameter on a multi-instance activity",
    ),
    (
        "bpmn-elements/wait-activities.bpmn",
        "message events without messageRef",
    ),
    (
        "miwg/camunda-modeler-export/B.1.0-export.bpmn",
        "a timer event without a definition",
    ),
    (
        "miwg/camunda-modeler-export/C.5.0-export.bpmn",
        "exclusive gateway flows without condition",
    ),
    (
        "miwg/camunda-modeler-export/C.6.0-export.bpmn",
        "message events without messageRef",
    ),
    (
        "miwg/camunda-modeler-export/C.7.0-export.bpmn",
        "exclusive gateway flows without condition",
    ),
    (
        "bpmn-elements/simple-task.bpmn",
        "a process without a start event",
    ),
    (
        "bpmn-elements/swimlanes.bpmn",
        "a subprocess without a start event",
    ),
    (
        "bpmn-engine/issue-163.bpmn",
        "a subprocess without a start event",
    ),
    (
        "bpmn-engine/service-task-operation.bpmn",
        "not in the BPMN 2.0 namespace (a pre-release schema URI)",
    ),
    (
        "bpmn-engine/service-task.bpmn",
        "an error end event without errorRef",
    ),
    (
        "bpmn-engine/simple-task.bpmn",
        "a process without a start event",
    ),
    (
        "camunda-bpm-examples/deployment/spring-servlet-pa-tomcat/src/main/resources/SpringExpressionResolvingTest.testResolveBean.bpmn",
        "calls a Spring bean in an expression",
    ),
    (
        "camunda-bpm-examples/deployment/spring-servlet-pa-wildfly/src/main/resources/SpringExpressionResolvingTest.testResolveBean.bpmn",
        "calls a Spring bean in an expression",
    ),
    (
        "camunda-bpm-examples/testing/assert/job-announcement-publication-process/src/test/resources/camunda-testing-job-announcement-publication.bpmn",
        "calls a Spring bean in expressions",
    ),
    (
        "camunda-bpm-platform/bpmn/event/timer/BoundaryTimerNonInterruptingEventTest.shouldReevaluateTimerCycleWhenDue.bpmn20.xml",
        "calls a bean for its timer cycle",
    ),
    (
        "miwg/Reference/C.3.0.bpmn",
        "exclusive gateway flows without condition",
    ),
    (
        "miwg/camunda-modeler-export/A.2.1-export.bpmn",
        "exclusive gateway flows without condition",
    ),
    (
        "miwg/camunda-modeler-export/A.3.0-export.bpmn",
        "a subprocess without a start event",
    ),
    (
        "miwg/camunda-modeler-export/C.1.0-export.bpmn",
        "message events without messageRef",
    ),
    (
        "miwg/camunda-modeler-export/C.1.1-export.bpmn",
        "exclusive gateway flows without condition",
    ),
    (
        "miwg/camunda-modeler-export/C.2.0-export.bpmn",
        "message events without messageRef",
    ),
    (
        "miwg/camunda-modeler-export/C.3.0-export.bpmn",
        "exclusive gateway flows without condition",
    ),
    (
        "spiffworkflow-camunda/MessageBoundary.bpmn",
        "a timer duration written as a Python string literal (\"PT0.01S\" with quotes), invalid for Camunda",
    ),
];

/// Files that Camunda 7 runs only with Java code the manifest does not tag (listener
/// classes, Spring beans called in expressions): procos refuses them, by design, with
/// the reason given.
const NEEDS_JAVA: &[(&str, &str)] = &[
    (
        "camunda-bpm-examples/multi-tenancy/tenant-identifier-shared-definitions/src/main/resources/processes/default/mainProcess.bpmn",
        "calls a bean to resolve the called tenant",
    ),
    (
        "camunda-bpm-examples/testing/assert/job-announcement-publication-process/src/test/resources/camunda-testing-job-announcement.bpmn",
        "calls Spring beans in expressions",
    ),
    (
        "camunda-bpm-platform/bpmn/async/AsyncTaskTest.testAsyncUserTask.bpmn20.xml",
        "an execution listener class",
    ),
    (
        "camunda-bpm-platform/bpmn/async/FoxJobRetryCmdTest.testFailingMultiInstanceBody.bpmn20.xml",
        "an execution listener class",
    ),
    (
        "camunda-bpm-platform/bpmn/callactivity/CallActivityAdvancedTest.testCallProcessByVersionAsDelegateExpression.bpmn20.xml",
        "calls a bean for the called version",
    ),
    (
        "camunda-bpm-platform/bpmn/event/IntermediateNoneEventTest.testIntermediateNoneTimerEvent.bpmn20.xml",
        "an execution listener class",
    ),
    (
        "camunda-bpm-platform/bpmn/executionlistener/ExecutionListenersCurrentActivity.bpmn20.xml",
        "execution listener classes",
    ),
    (
        "camunda-bpm-platform/bpmn/iomapping/InputOutputEventTest.testNoneThrowEvent.bpmn20.xml",
        "an execution listener class",
    ),
    (
        "camunda-bpm-platform/bpmn/tasklistener/CustomTaskAssignmentTest.testAssigneeAssignment.bpmn20.xml",
        "a task listener class",
    ),
    (
        "camunda-bpm-platform/bpmn/tasklistener/CustomTaskAssignmentTest.testCandidateGroupAssignment.bpmn20.xml",
        "a task listener class",
    ),
    (
        "camunda-bpm-platform/bpmn/tasklistener/CustomTaskAssignmentTest.testCandidateUserAssignment.bpmn20.xml",
        "a task listener class",
    ),
];

struct Entry {
    path: PathBuf,
    features: Vec<String>,
    notes: String,
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bpmn/corpus");
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

fn manifest(dir: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let local = cols.get(4)?.strip_prefix("corpus/")?;
            Some(Entry {
                path: dir.join(local),
                features: cols
                    .get(5)
                    .map(|f| {
                        f.split(';')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                notes: cols.get(6).copied().unwrap_or("").to_owned(),
            })
        })
        .collect()
}

fn uses_only_supported(e: &Entry) -> bool {
    e.notes.is_empty()
        && e.features
            .iter()
            .all(|f| !UNSUPPORTED.iter().any(|u| f.starts_with(u)))
}

/// Runs `procos validate --json` on `files` with a generous deadline, so that a hang is
/// a test failure instead of a stuck CI job.
fn validate(files: &[PathBuf]) -> Vec<Value> {
    let child = Command::new(env!("CARGO_BIN_EXE_procos"))
        .arg("validate")
        .arg("--json")
        .args(files)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run procos validate");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        tx.send(child.wait_with_output()).ok();
    });
    let output = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(output) => output.expect("procos validate output"),
        Err(_) => {
            Command::new("kill")
                .arg("-9")
                .arg(pid.to_string())
                .status()
                .ok();
            panic!("procos validate did not finish within 120 s: it hangs on some file");
        }
    };
    serde_json::from_slice::<Vec<Value>>(&output.stdout)
        .expect("validate --json prints a JSON array")
}

#[test]
fn every_corpus_file_compiles_or_is_rejected_precisely() {
    let Some(dir) = corpus_dir() else {
        eprintln!(
            "SKIPPED: the BPMN corpus is absent ({}/../shared/bpmn/corpus/MANIFEST.tsv not found); nothing was checked",
            env!("CARGO_MANIFEST_DIR")
        );
        return;
    };
    let entries = manifest(&dir);
    assert_eq!(entries.len(), 520, "the corpus has 520 files");
    let files: Vec<PathBuf> = entries.iter().map(|e| e.path.clone()).collect();
    let reports = validate(&files);
    assert_eq!(reports.len(), entries.len(), "one report per file");

    let known: BTreeMap<&str, &str> = INVALID_FOR_CAMUNDA
        .iter()
        .chain(NEEDS_JAVA)
        .copied()
        .collect();
    let mut unexpected_failures = Vec::new();
    let mut unexpected_successes = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut compiled = 0;
    for (entry, report) in entries.iter().zip(&reports) {
        let rel = entry
            .path
            .strip_prefix(&dir)
            .unwrap_or(&entry.path)
            .display()
            .to_string();
        let valid = report["valid"].as_bool().expect("valid flag");
        let errors = report["errors"].as_array().expect("errors");
        if valid {
            compiled += 1;
            assert!(errors.is_empty(), "{rel}: valid with errors");
        } else {
            assert!(!errors.is_empty(), "{rel}: rejected without a reason");
            let mut seen = BTreeSet::new();
            for e in errors {
                let message = e["message"].as_str().expect("message");
                assert!(message.len() > 10, "{rel}: vague message {message:?}");
                let located = e["line"].as_u64().unwrap_or(0) > 0 || !e["elementId"].is_null();
                assert!(
                    located,
                    "{rel}: error without element or position: {message}"
                );
                if seen.insert(reason_group(message)) {
                    *reasons.entry(reason_group(message)).or_default() += 1;
                }
            }
        }
        let must_reject = entry.notes.contains("negative-or-parse-test")
            || entry.notes.contains("not-well-formed-xml");
        if must_reject && valid {
            unexpected_successes.push(rel.clone());
        }
        if uses_only_supported(entry) && !valid && !known.contains_key(rel.as_str()) {
            unexpected_failures.push(format!("{rel}: {}", errors[0]["message"]));
        }
        if known.contains_key(rel.as_str()) && valid {
            unexpected_successes.push(format!("{rel} (listed as invalid for Camunda)"));
        }
    }
    eprintln!(
        "corpus: {compiled} of {} files compile; rejections by reason (files):",
        entries.len()
    );
    let mut by_count: Vec<_> = reasons.into_iter().collect();
    by_count.sort_by_key(|b| std::cmp::Reverse(b.1));
    for (reason, n) in by_count {
        eprintln!("  {n:4}  {reason}");
    }
    assert!(
        unexpected_successes.is_empty(),
        "must be rejected but compiled: {unexpected_successes:#?}"
    );
    assert!(
        unexpected_failures.is_empty(),
        "use only supported features but were rejected: {unexpected_failures:#?}"
    );
}

/// A message with its quoted specifics removed, so that rejections group by reason.
fn reason_group(message: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                out.push('…');
                out.push(c);
            }
            Some(_) => {}
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None => out.push(c),
        }
    }
    out.chars().take(120).collect()
}
