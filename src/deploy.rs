//! `procos deploy FILE...`: deploys files to a running server through its REST API, as
//! Camunda Modeler does.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Uploads `files` as one deployment with duplicate filtering.
pub async fn run(url: &str, files: &[PathBuf], name: Option<String>) -> anyhow::Result<ExitCode> {
    let base = url.trim_end_matches('/');
    let name = name.or_else(|| match files {
        [one] => one.file_name().and_then(|n| n.to_str()).map(str::to_owned),
        _ => Some("procos deploy".to_owned()),
    });
    let mut form = reqwest::multipart::Form::new()
        .text("deployment-source", "procos deploy")
        .text("enable-duplicate-filtering", "true");
    if let Some(name) = name {
        form = form.text("deployment-name", name);
    }
    for path in files {
        let content =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("process.bpmn")
            .to_owned();
        form = form.part(
            file_name.clone(),
            reqwest::multipart::Part::bytes(content).file_name(file_name),
        );
    }
    let response = reqwest::Client::new()
        .post(format!("{base}/deployment/create"))
        .multipart(form)
        .send()
        .await
        .with_context(|| format!("cannot reach {base}"))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        eprintln!(
            "deployment failed ({status}): {}",
            body["message"].as_str().unwrap_or("no message")
        );
        return Ok(ExitCode::FAILURE);
    }
    println!("deployment {}", body["id"].as_str().unwrap_or("?"));
    match body["deployedProcessDefinitions"].as_object() {
        None => println!("  nothing changed: no new version"),
        Some(defs) => {
            for d in defs.values() {
                println!(
                    "  {} version {} ({})",
                    d["key"].as_str().unwrap_or("?"),
                    d["version"],
                    d["id"].as_str().unwrap_or("?")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
