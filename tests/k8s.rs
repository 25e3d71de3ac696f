//! The Kubernetes manifests in `deploy/k8s/`: every file is YAML (read with PyYAML from
//! the client tests' virtual environment; run `scripts/setup-clients` once), every
//! object has `apiVersion`, `kind` and `metadata.name` and no namespace, the workloads
//! have probes, resources and the right `procos` subcommand, the references between
//! objects hold (Service → pods, HorizontalPodAutoscaler → Deployment, Secret and
//! ConfigMap keys), every variable given to procos is one it reads, and the processes
//! ConfigMap holds exactly the files of `processes/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn k8s_dir() -> PathBuf {
    repo().join("deploy").join("k8s")
}

/// Every YAML document of every file in deploy/k8s, parsed by PyYAML's safe loader and
/// handed over as JSON: (file name, document).
fn documents() -> Vec<(String, Value)> {
    let python = repo().join("tests/clients/python/.venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-clients",
        python.display()
    );
    let output = Command::new(&python)
        .arg("-c")
        .arg(
            r#"
import json, pathlib, sys, yaml
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.yaml")):
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if doc is not None:
            print(json.dumps({"file": path.name, "doc": doc}))
"#,
        )
        .arg(k8s_dir())
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "a manifest is not valid YAML (or PyYAML is missing: run scripts/setup-clients):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| {
            let mut v: Value = serde_json::from_str(line).expect("JSON");
            (v["file"].as_str().unwrap().to_owned(), v["doc"].take())
        })
        .collect()
}

/// Objects by (kind, name).
fn objects() -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for (file, doc) in documents() {
        let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            out.insert((kind.clone(), name.clone()), doc).is_none(),
            "{file}: {kind} {name} twice"
        );
    }
    out
}

fn get<'a>(objects: &'a BTreeMap<(String, String), Value>, kind: &str, name: &str) -> &'a Value {
    objects
        .get(&(kind.to_owned(), name.to_owned()))
        .unwrap_or_else(|| panic!("no {kind} {name} in deploy/k8s"))
}

fn containers(deployment: &Value) -> &Vec<Value> {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
}

#[test]
fn every_object_is_complete_and_namespace_agnostic() {
    let docs = documents();
    assert!(docs.len() >= 10, "only {} objects", docs.len());
    for (file, doc) in &docs {
        for field in ["apiVersion", "kind"] {
            assert!(
                doc[field].as_str().is_some_and(|s| !s.is_empty()),
                "{file}: an object without {field}"
            );
        }
        let kind = doc["kind"].as_str().unwrap();
        if kind == "Kustomization" {
            continue;
        }
        assert!(
            doc["metadata"]["name"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{file}: a {kind} without metadata.name"
        );
        assert!(
            doc["metadata"].get("namespace").is_none(),
            "{file}: {kind} sets a namespace; the manifests are namespace-agnostic"
        );
    }
}

#[test]
fn kustomization_lists_every_manifest_but_the_example_secret() {
    let objects = objects();
    let kustomization = objects
        .iter()
        .find(|((kind, _), _)| kind == "Kustomization")
        .map(|(_, v)| v)
        .expect("a kustomization.yaml");
    let listed: BTreeSet<String> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(k8s_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml" && !n.contains("example"))
        .collect();
    assert_eq!(listed, on_disk);
    assert!(kustomization.get("namespace").is_none());
}

#[test]
fn the_engine_runs_two_replicas_with_probes_and_a_service() {
    let objects = objects();
    let procos = get(&objects, "Deployment", "procos");
    assert_eq!(procos["apiVersion"], "apps/v1");
    assert!(procos["spec"]["replicas"].as_i64().unwrap_or(1) >= 2);
    let labels = &procos["spec"]["template"]["metadata"]["labels"];
    for (key, value) in procos["spec"]["selector"]["matchLabels"]
        .as_object()
        .unwrap()
    {
        assert_eq!(&labels[key], value, "the selector matches the pods");
    }
    let container = &containers(procos)[0];
    assert_eq!(container["args"][0], "serve");
    let port = container["ports"][0]["containerPort"]
        .as_i64()
        .expect("a port");
    assert_eq!(port, 8080);
    assert_eq!(
        container["livenessProbe"]["httpGet"]["path"],
        "/engine-rest/engine"
    );
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/health");
    assert!(container["resources"]["requests"]["cpu"].is_string());
    // The database URL is a secret.
    let env = container["env"].as_array().unwrap();
    let url = env
        .iter()
        .find(|e| e["name"] == "PROCOS_DATABASE_URL")
        .expect("PROCOS_DATABASE_URL");
    assert!(
        url["valueFrom"]["secretKeyRef"]["name"].is_string(),
        "{url}"
    );
    // The processes come from the generated ConfigMap, mounted where PROCOS_PROCESSES says.
    let processes = env
        .iter()
        .find(|e| e["name"] == "PROCOS_PROCESSES")
        .and_then(|e| e["value"].as_str())
        .expect("PROCOS_PROCESSES");
    let mount = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == processes)
        .expect("the processes folder is mounted");
    let volume = procos["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mounted volume");
    assert_eq!(volume["configMap"]["name"], "procos-processes");

    let service = get(&objects, "Service", "procos");
    for (key, value) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(&labels[key], value, "the Service selects the engine's pods");
    }
    let service_port = &service["spec"]["ports"][0];
    assert_eq!(service_port["port"], 8080);
    assert_eq!(service_port["targetPort"], container["ports"][0]["name"]);

    let pdb = get(&objects, "PodDisruptionBudget", "procos");
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        procos["spec"]["selector"]["matchLabels"]
    );
}

#[test]
fn the_workers_run_their_subcommand_with_probes_and_scale_on_cpu() {
    let objects = objects();
    for (name, subcommand) in [("worker-ai", "ai"), ("worker-generic", "generic")] {
        let deployment = get(&objects, "Deployment", name);
        let container = &containers(deployment)[0];
        assert_eq!(
            container["args"],
            serde_json::json!(["worker", subcommand]),
            "{name}"
        );
        assert_eq!(
            container["image"],
            containers(get(&objects, "Deployment", "procos"))[0]["image"]
        );
        assert!(container["readinessProbe"].is_object(), "{name}: no probe");
        assert!(
            container["resources"]["requests"]["cpu"].is_string(),
            "{name}: a CPU autoscaler needs a CPU request"
        );
        let engine = container["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "PROCOS_ENGINE_URL")
            .and_then(|e| e["value"].as_str())
            .expect("PROCOS_ENGINE_URL");
        assert_eq!(
            engine, "http://procos:8080/engine-rest",
            "{name}: through the Service"
        );

        let hpa = get(&objects, "HorizontalPodAutoscaler", name);
        assert_eq!(hpa["apiVersion"], "autoscaling/v2");
        assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment");
        assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], name);
        let min = hpa["spec"]["minReplicas"].as_i64().unwrap();
        let max = hpa["spec"]["maxReplicas"].as_i64().unwrap();
        assert!(1 <= min && min <= max, "{name}: {min}..{max}");
        let metric = &hpa["spec"]["metrics"][0];
        assert_eq!(metric["type"], "Resource");
        assert_eq!(metric["resource"]["name"], "cpu");
        assert_eq!(metric["resource"]["target"]["type"], "Utilization");
    }
}

#[test]
fn secrets_and_config_maps_referenced_exist_with_their_keys() {
    let objects = objects();
    let secret = get(&objects, "Secret", "procos-secrets");
    let secret_keys: BTreeSet<&str> = secret["stringData"]
        .as_object()
        .expect("stringData")
        .keys()
        .map(String::as_str)
        .collect();
    for ((kind, name), object) in &objects {
        if kind != "Deployment" {
            continue;
        }
        for container in containers(object) {
            for env in container["env"].as_array().into_iter().flatten() {
                if let Some(reference) = env["valueFrom"].get("secretKeyRef") {
                    assert_eq!(reference["name"], "procos-secrets", "{name}");
                    let key = reference["key"].as_str().unwrap();
                    assert!(
                        secret_keys.contains(key),
                        "{name}: no key {key} in the Secret"
                    );
                }
            }
            for from in container["envFrom"].as_array().into_iter().flatten() {
                let map = from["configMapRef"]["name"].as_str().expect("a ConfigMap");
                get(&objects, "ConfigMap", map);
            }
        }
    }
}

#[test]
fn every_command_is_one_procos_accepts() {
    let objects = objects();
    for ((kind, name), object) in &objects {
        if kind != "Deployment" {
            continue;
        }
        let mut args: Vec<&str> = containers(object)[0]["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        // clap checks the subcommand and its values before it prints the help.
        args.push("--help");
        let output = Command::new(env!("CARGO_BIN_EXE_procos"))
            .args(&args)
            .output()
            .expect("run procos");
        assert!(
            output.status.success(),
            "{name}: procos {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn every_variable_given_to_procos_is_one_it_reads() {
    let objects = objects();
    let mut source = String::new();
    for dir in ["src", "workers/src"] {
        collect_sources(&repo().join(dir), &mut source);
    }
    let known = |name: &str| source.contains(&format!("\"{name}\""));
    for ((kind, name), object) in &objects {
        if kind == "Deployment" {
            for container in containers(object) {
                for env in container["env"].as_array().into_iter().flatten() {
                    let var = env["name"].as_str().unwrap();
                    // The engine's flags are clap `env = "..."` attributes in src/config.rs.
                    assert!(known(var), "{name}: procos reads no {var}");
                }
            }
        }
        if kind == "ConfigMap" && name != "procos-processes" {
            for var in object["data"].as_object().unwrap().keys() {
                assert!(known(var), "ConfigMap {name}: procos reads no {var}");
            }
        }
    }
}

fn collect_sources(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            collect_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).expect("read a source file"));
        }
    }
}

#[test]
fn the_processes_config_map_is_processes_folder() {
    let objects = objects();
    let map = get(&objects, "ConfigMap", "procos-processes");
    let data = map["data"].as_object().expect("data");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(repo().join("processes")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bpmn") {
            files.insert(
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            );
        }
    }
    let keys: BTreeSet<&String> = data.keys().collect();
    assert_eq!(
        keys,
        files.keys().collect(),
        "deploy/k8s/processes.yaml is out of date: run scripts/k8s-processes"
    );
    for (name, text) in &files {
        assert_eq!(
            data[name].as_str(),
            Some(text.as_str()),
            "{name} differs in deploy/k8s/processes.yaml: run scripts/k8s-processes"
        );
    }
}
