//! The BPMN files in `processes/` (the folder `procos serve` deploys by default): each
//! one passes `procos validate` without errors or warnings, is a Camunda Modeler 5 file
//! for Camunda Platform 7.23 (executable, with a history time to live), draws completely
//! (a shape with bounds for every flow node, an edge with waypoints for every sequence
//! flow, a label for every named event and gateway), and uses only external-task topics
//! the bundled workers serve.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use procos_engine::bpmn::xml::{parse_document, Element, Limits, Ns};
use serde_json::Value;

/// The topics `procos worker ai` and `procos worker generic` serve, as issue 6's contract
/// between the bundled workers and these processes lists them: the AI topics of the seeds
/// and of the original ProcOS AI worker, and the generic topics with the original's
/// `data_validation` and the five system topics of the orchestrator. A process that names any other topic
/// would wait for a worker that never comes.
const BUNDLED_TOPICS: &[&str] = &[
    // procos worker ai
    "ai_query",
    "text_generation",
    "analysis",
    "code_generation",
    "code_analysis",
    "translation",
    "ai_completion",
    "provider_selection",
    // procos worker generic
    "http_request",
    "email_send",
    "input_validation",
    "data_validation",
    "email_validation",
    "data_transform",
    "file_operation",
    "system_initialization",
    "worker_management",
    "health_monitoring",
    "request_routing",
    "system_shutdown",
];

/// Files the issue asks for by name, plus the automation processes.
const REQUIRED: &[&str] = &[
    "ai_query_process.bpmn",
    "system_orchestrator.bpmn",
    "hello_email_process.bpmn",
    "test_http_request.bpmn",
    "order_intake.bpmn",
    "incident_notification.bpmn",
];

/// BPMN elements that are flow nodes (drawn as shapes).
const FLOW_NODES: &[&str] = &[
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "task",
    "serviceTask",
    "userTask",
    "manualTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
];

fn processes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("processes")
}

fn bpmn_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(processes_dir())
        .expect("processes/ exists at the repository root")
        .map(|entry| entry.expect("read processes/").path())
        .filter(|path| path.extension().is_some_and(|e| e == "bpmn"))
        .collect();
    files.sort();
    files
}

fn name_of(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn parse(path: &Path) -> Element {
    let text = std::fs::read_to_string(path).expect("read a BPMN file");
    parse_document(&text, Limits::default())
        .unwrap_or_else(|e| panic!("{}: not XML: {e:?}", path.display()))
}

/// Every element of the tree, depth first.
fn walk<'a>(el: &'a Element, out: &mut Vec<&'a Element>) {
    out.push(el);
    for child in &el.children {
        walk(child, out);
    }
}

fn all(el: &Element) -> Vec<&Element> {
    let mut out = Vec::new();
    walk(el, &mut out);
    out
}

#[test]
fn the_required_files_are_there() {
    let names: BTreeSet<String> = bpmn_files().iter().map(|p| name_of(p)).collect();
    for required in REQUIRED {
        assert!(names.contains(*required), "processes/{required} is missing");
    }
}

#[test]
fn every_file_passes_procos_validate_without_warnings() {
    let files = bpmn_files();
    let output = Command::new(env!("CARGO_BIN_EXE_procos"))
        .arg("validate")
        .arg("--json")
        .args(&files)
        .output()
        .expect("run procos validate");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "procos validate --json printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let entries = report.as_array().expect("a list, one entry per file");
    assert_eq!(entries.len(), files.len());
    for entry in entries {
        let file = entry["file"].as_str().unwrap_or("?");
        assert_eq!(entry["valid"], true, "{file}: {entry:#}");
        assert_eq!(entry["errors"], serde_json::json!([]), "{file}: {entry:#}");
        assert_eq!(
            entry["warnings"],
            serde_json::json!([]),
            "{file}: {entry:#}"
        );
        let processes = entry["processes"].as_array().expect("processes");
        assert_eq!(processes.len(), 1, "{file}: one process per file");
    }
    assert!(
        output.status.success(),
        "procos validate exited with {}",
        output.status
    );
}

#[test]
fn every_file_is_an_executable_camunda_7_process_named_after_its_file() {
    for path in bpmn_files() {
        let file = name_of(&path);
        let root = parse(&path);
        assert!(root.is_bpmn("definitions"), "{file}");
        // What Camunda Modeler 5 reads to offer the Camunda 7 properties panel.
        let platform = root
            .attrs
            .iter()
            .find(|a| &*a.name == "executionPlatform")
            .map(|a| &*a.value);
        let version = root
            .attrs
            .iter()
            .find(|a| &*a.name == "executionPlatformVersion")
            .map(|a| &*a.value);
        assert_eq!(platform, Some("Camunda Platform"), "{file}");
        assert!(
            version.is_some_and(|v| v.starts_with("7.")),
            "{file}: executionPlatformVersion {version:?}"
        );
        let processes: Vec<&Element> = root.bpmn_children("process").collect();
        assert_eq!(processes.len(), 1, "{file}");
        let process = processes[0];
        assert_eq!(process.attr("isExecutable"), Some("true"), "{file}");
        assert!(
            process.camunda("historyTimeToLive").is_some(),
            "{file}: Camunda 7.20+ refuses a process without camunda:historyTimeToLive"
        );
        let id = process.attr("id").expect("process id");
        assert_eq!(
            format!("{id}.bpmn"),
            file,
            "a file in processes/ is named after its process"
        );
    }
}

/// What a file's `bpmndi:BPMNDiagram` draws.
#[derive(Debug, Default)]
struct Diagram {
    diagrams: usize,
    /// `bpmnElement` of each plane.
    planes: Vec<String>,
    /// Shapes by element: (width, height) of their bounds, and whether a label has bounds.
    shapes: BTreeMap<String, Vec<(f64, f64, bool)>>,
    /// Edges by sequence flow: their waypoint counts.
    edges: BTreeMap<String, Vec<usize>>,
}

/// Reads the diagram interchange with quick-xml, namespaces resolved (the engine's reader
/// skips diagrams on purpose).
fn read_diagram(path: &Path) -> Diagram {
    use quick_xml::events::{BytesStart, Event};
    use quick_xml::name::{Namespace, ResolveResult};
    use quick_xml::reader::NsReader;

    const BPMNDI: &str = "http://www.omg.org/spec/BPMN/20100524/DI";
    const DC: &str = "http://www.omg.org/spec/DD/20100524/DC";
    const DI: &str = "http://www.omg.org/spec/DD/20100524/DI";

    fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .map(|a| a.value.to_string())
    }
    fn num(e: &BytesStart<'_>, name: &str) -> f64 {
        attr(e, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    let text = std::fs::read_to_string(path).expect("read a BPMN file");
    let mut reader = NsReader::from_str(&text);
    let mut diagram = Diagram::default();
    // (namespace, local name) of the open elements; the current shape or edge.
    let mut open: Vec<(String, String)> = Vec::new();
    let mut shape: Option<(String, f64, f64, bool)> = None;
    let mut edge: Option<(String, usize)> = None;
    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .unwrap_or_else(|e| panic!("{}: not XML: {e}", path.display()));
        let ns = match resolved {
            ResolveResult::Bound(Namespace(ns)) => ns.to_string(),
            _ => String::new(),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let local = e.local_name().as_ref().to_string();
                let parent = open.last().map(|(_, l)| l.as_str()).unwrap_or("");
                match (ns.as_str(), local.as_str()) {
                    (BPMNDI, "BPMNDiagram") => diagram.diagrams += 1,
                    (BPMNDI, "BPMNPlane") => diagram
                        .planes
                        .push(attr(e, "bpmnElement").unwrap_or_default()),
                    (BPMNDI, "BPMNShape") => {
                        shape = Some((attr(e, "bpmnElement").unwrap_or_default(), 0.0, 0.0, false))
                    }
                    (BPMNDI, "BPMNEdge") => {
                        edge = Some((attr(e, "bpmnElement").unwrap_or_default(), 0))
                    }
                    (DC, "Bounds") => {
                        if let Some(s) = shape.as_mut() {
                            if parent == "BPMNLabel" {
                                s.3 = num(e, "width") > 0.0 && num(e, "height") > 0.0;
                            } else {
                                s.1 = num(e, "width");
                                s.2 = num(e, "height");
                            }
                        }
                    }
                    (DI, "waypoint") => {
                        if let Some(ed) = edge.as_mut() {
                            assert!(num(e, "x").is_finite() && num(e, "y").is_finite());
                            ed.1 += 1;
                        }
                    }
                    _ => {}
                }
                if matches!(event, Event::Start(_)) {
                    open.push((ns, local));
                } else {
                    close(&local, &mut shape, &mut edge, &mut diagram);
                }
            }
            Event::End(_) => {
                let (_, local) = open.pop().expect("balanced XML");
                close(&local, &mut shape, &mut edge, &mut diagram);
            }
            Event::Eof => break,
            _ => {}
        }
    }

    fn close(
        local: &str,
        shape: &mut Option<(String, f64, f64, bool)>,
        edge: &mut Option<(String, usize)>,
        diagram: &mut Diagram,
    ) {
        match local {
            "BPMNShape" => {
                if let Some((id, w, h, label)) = shape.take() {
                    diagram.shapes.entry(id).or_default().push((w, h, label));
                }
            }
            "BPMNEdge" => {
                if let Some((id, n)) = edge.take() {
                    diagram.edges.entry(id).or_default().push(n);
                }
            }
            _ => {}
        }
    }
    diagram
}

#[test]
fn every_flow_node_and_sequence_flow_is_drawn() {
    for path in bpmn_files() {
        let file = name_of(&path);
        let root = parse(&path);
        let process = root.bpmn_child("process").expect("a process");
        let elements = all(process);
        let nodes: BTreeMap<&str, &Element> = elements
            .iter()
            .filter(|e| e.ns == Ns::Bpmn && FLOW_NODES.contains(&&*e.name))
            .map(|e| (e.attr("id").expect("a flow node has an id"), *e))
            .collect();
        let flows: BTreeSet<&str> = elements
            .iter()
            .filter(|e| e.is_bpmn("sequenceFlow"))
            .map(|e| e.attr("id").expect("a sequence flow has an id"))
            .collect();
        assert!(!nodes.is_empty(), "{file}: no flow nodes");

        let diagram = read_diagram(&path);
        assert_eq!(diagram.diagrams, 1, "{file}: one BPMNDiagram");
        assert_eq!(
            diagram.planes,
            vec![process.attr("id").unwrap().to_owned()],
            "{file}: one plane, drawing the process"
        );
        for (id, node) in &nodes {
            let shapes = diagram
                .shapes
                .get(*id)
                .unwrap_or_else(|| panic!("{file}: flow node {id} has no BPMNShape"));
            assert_eq!(
                shapes.len(),
                1,
                "{file}: {id} is drawn {} times",
                shapes.len()
            );
            let (width, height, label) = shapes[0];
            assert!(
                width > 0.0 && height > 0.0,
                "{file}: the shape of {id} has no bounds"
            );
            let labelled_outside = node.name.ends_with("Event") || node.name.ends_with("Gateway");
            if labelled_outside && node.attr("name").is_some_and(|n| !n.trim().is_empty()) {
                assert!(
                    label,
                    "{file}: the named {} {id} has no label bounds",
                    node.name
                );
            }
        }
        for id in &flows {
            let edges = diagram
                .edges
                .get(*id)
                .unwrap_or_else(|| panic!("{file}: sequence flow {id} has no BPMNEdge"));
            assert_eq!(
                edges.len(),
                1,
                "{file}: {id} is drawn {} times",
                edges.len()
            );
            assert!(
                edges[0] >= 2,
                "{file}: the edge of {id} has {} waypoints",
                edges[0]
            );
        }
        // Nothing drawn that the process does not have.
        for id in diagram.shapes.keys() {
            assert!(
                nodes.contains_key(id.as_str()),
                "{file}: a shape for unknown element {id}"
            );
        }
        for id in diagram.edges.keys() {
            assert!(
                flows.contains(id.as_str()),
                "{file}: an edge for unknown flow {id}"
            );
        }
    }
}

#[test]
fn every_external_task_uses_a_bundled_topic() {
    let mut used = BTreeSet::new();
    for path in bpmn_files() {
        let file = name_of(&path);
        let root = parse(&path);
        for el in all(&root) {
            if let Some(topic) = el.camunda("topic") {
                assert_eq!(
                    el.camunda("type"),
                    Some("external"),
                    "{file}: {} has a topic but is not external",
                    el.attr("id").unwrap_or("?")
                );
                assert!(
                    BUNDLED_TOPICS.contains(&topic),
                    "{file}: topic '{topic}' of {} is served by no bundled worker",
                    el.attr("id").unwrap_or("?")
                );
                used.insert(topic.to_owned());
            } else if el.camunda("type") == Some("external") {
                panic!(
                    "{file}: {} is external without a topic",
                    el.attr("id").unwrap_or("?")
                );
            }
        }
    }
    // The automation processes exercise the generic worker's main topics together.
    for topic in [
        "http_request",
        "input_validation",
        "data_transform",
        "email_send",
        "ai_query",
    ] {
        assert!(
            used.contains(topic),
            "no process in processes/ uses {topic}"
        );
    }
}
