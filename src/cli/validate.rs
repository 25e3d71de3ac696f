//! `procos validate FILE...`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use procos_engine::bpmn::{self, Problem};
use serde::Serialize;

/// The verdict on one file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FileReport {
    file: String,
    valid: bool,
    processes: Vec<ProcessSummary>,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProcessSummary {
    id: String,
    name: Option<String>,
    flow_nodes: usize,
}

fn check(path: &Path) -> FileReport {
    let file = path.display().to_string();
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => return unreadable(file, format!("the file is not UTF-8 text: {e}")),
        },
        Err(e) => return unreadable(file, format!("cannot read the file: {e}")),
    };
    match bpmn::compile(&text) {
        Ok(defs) => FileReport {
            file,
            valid: true,
            processes: defs
                .processes
                .iter()
                .map(|p| ProcessSummary {
                    id: p.key.clone(),
                    name: p.name.clone(),
                    flow_nodes: p.nodes.len(),
                })
                .collect(),
            errors: Vec::new(),
            warnings: defs.warnings,
        },
        Err(rejected) => FileReport {
            file,
            valid: false,
            processes: Vec::new(),
            errors: rejected.errors,
            warnings: rejected.warnings,
        },
    }
}

fn unreadable(file: String, message: String) -> FileReport {
    FileReport {
        file,
        valid: false,
        processes: Vec::new(),
        errors: vec![Problem {
            severity: bpmn::Severity::Error,
            message,
            element_id: None,
            line: 0,
            column: 0,
        }],
        warnings: Vec::new(),
    }
}

/// Validates every file and prints the reports.
pub fn run(files: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let reports: Vec<FileReport> = files.iter().map(|f| check(f)).collect();
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &reports)?;
        writeln!(out)?;
    } else {
        for r in &reports {
            print_text(&mut out, r)?;
        }
        let bad = reports.iter().filter(|r| !r.valid).count();
        if reports.len() > 1 {
            writeln!(
                out,
                "{} of {} files valid",
                reports.len() - bad,
                reports.len()
            )?;
        }
    }
    Ok(if reports.iter().all(|r| r.valid) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_text(out: &mut impl Write, r: &FileReport) -> std::io::Result<()> {
    if r.valid {
        writeln!(out, "ok    {}", r.file)?;
        if r.processes.is_empty() {
            writeln!(
                out,
                "      (no executable process: nothing would be deployed)"
            )?;
        }
        for p in &r.processes {
            match &p.name {
                Some(name) => writeln!(
                    out,
                    "      process '{}' \"{}\", {} flow nodes",
                    p.id, name, p.flow_nodes
                )?,
                None => writeln!(out, "      process '{}', {} flow nodes", p.id, p.flow_nodes)?,
            }
        }
    } else {
        writeln!(out, "FAIL  {}", r.file)?;
        for e in &r.errors {
            writeln!(out, "      error: {e}")?;
        }
    }
    for w in &r.warnings {
        writeln!(out, "      warning: {w}")?;
    }
    Ok(())
}
