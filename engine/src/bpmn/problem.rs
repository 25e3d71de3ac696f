//! Problems found while reading a BPMN file, reported all at once.

use std::fmt;

use serde::Serialize;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file cannot be deployed.
    Error,
    /// The file deploys, but something in it is ignored or unusual.
    Warning,
}

/// One problem, located in the source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and what to do instead.
    pub message: String,
    /// The id of the BPMN element concerned, when there is one.
    pub element_id: Option<String>,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(id) = &self.element_id {
            write!(f, " | element '{id}'")?;
        }
        if self.line > 0 {
            write!(f, " | line {} | column {}", self.line, self.column)?;
        }
        Ok(())
    }
}

/// Collects problems while a file is read, so that a modeller sees every one of them
/// from a single deploy attempt.
#[derive(Debug, Default)]
pub struct Problems {
    items: Vec<Problem>,
}

/// Where a problem is: an element id and a source position.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    /// Element id, if any.
    pub id: Option<&'a str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Problems {
    /// Records an error.
    pub fn error(&mut self, at: At<'_>, message: impl Into<String>) {
        self.push(Severity::Error, at, message.into());
    }

    /// Records a warning.
    pub fn warning(&mut self, at: At<'_>, message: impl Into<String>) {
        self.push(Severity::Warning, at, message.into());
    }

    fn push(&mut self, severity: Severity, at: At<'_>, message: String) {
        self.items.push(Problem {
            severity,
            message,
            element_id: at.id.map(str::to_owned),
            line: at.line,
            column: at.column,
        });
    }

    /// True when at least one error was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|p| p.severity == Severity::Error)
    }

    /// Splits into (errors, warnings), each sorted by position.
    pub fn into_parts(self) -> (Vec<Problem>, Vec<Problem>) {
        let (mut errors, mut warnings): (Vec<_>, Vec<_>) = self
            .items
            .into_iter()
            .partition(|p| p.severity == Severity::Error);
        errors.sort_by_key(|p| (p.line, p.column));
        warnings.sort_by_key(|p| (p.line, p.column));
        (errors, warnings)
    }
}
