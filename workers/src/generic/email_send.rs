//! `email_send`: sends a message over SMTP with `lettre`.
//!
//! Inputs (the original worker's names first): `to_email` (also `recipient_email`; a
//! text, a comma list or a Json list, each item `a@b` or `Name <a@b>`), `cc`, `bcc`,
//! `subject`, `body` (also `message`), `body_type` (`plain` or `html`: what `body` is),
//! `html_body`, `from_email`; templates: `template` (an inline body template, in the
//! `body_type` format) or `template_name` (files `NAME.subject`, `NAME.txt` and
//! `NAME.html` in `EMAIL_TEMPLATES_DIR`). `{{var}}` and `{{var.field}}` placeholders in
//! the subject and bodies are filled from `template_variables` (a Json map) and then
//! from the process variables (HTML-escaped in HTML bodies); an unknown one fails the
//! task. With both a text and an HTML body the message is `multipart/alternative`.
//!
//! Outputs: `sent` (true), `to` (the To addresses, comma separated), `message_id`.
//!
//! The server, port, TLS mode and credentials come from the configuration. The TLS mode
//! is explicit and never downgraded: `starttls` fails when the server does not offer
//! STARTTLS. The original's per-task `smtp_server`, `smtp_port`, `smtp_username` and
//! `smtp_password` are honoured only with `SMTP_ALLOW_TASK_OVERRIDE=true`.
//!
//! Header injection is impossible: addresses and the subject are checked for line
//! breaks (a clear error) and the headers are lettre's typed ones.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value as Json;

use super::common::{
    finish, html_escape, json_var, no_escape, render_template, text_of, Out, TaskError,
};
use super::config::{Secret, SmtpConfig, SmtpTls};
use crate::task::{Handler, Outcome, Task, TypedValue, Variables};

/// The topic.
pub const TOPIC: &str = "email_send";

/// Serves `email_send`.
pub struct EmailSendHandler {
    smtp: SmtpConfig,
    templates_dir: Option<PathBuf>,
}

/// Where and how to connect.
struct Server {
    host: String,
    port: u16,
    tls: SmtpTls,
    credentials: Option<(String, Secret)>,
}

/// The message, checked.
#[derive(Debug)]
struct Mail {
    from: Mailbox,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    bcc: Vec<Mailbox>,
    subject: String,
    text: Option<String>,
    html: Option<String>,
}

fn fatal(message: impl std::fmt::Display) -> TaskError {
    TaskError::Fatal(format!("email_send: {message}"))
}

fn has_line_break(s: &str) -> bool {
    s.contains(['\r', '\n'])
}

/// Splits an address list at the commas that are outside quotes and angle brackets.
fn split_addresses(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped, mut angle) = (false, false, false);
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' if !quoted && !angle => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses one address (`a@b` or `Name <a@b>`), refusing line breaks and trailing text
/// the parser would otherwise ignore.
fn mailbox(field: &str, item: &str) -> Result<Mailbox, TaskError> {
    if has_line_break(item) {
        return Err(fatal(format!(
            "{field}: an address must not contain line breaks"
        )));
    }
    let parsed = Mailbox::from_str(item)
        .map_err(|_| fatal(format!("{field}: {item:?} is not a valid email address")))?;
    let address = parsed.email.to_string();
    let trimmed = item.trim();
    let whole = trimmed.ends_with('>')
        || trimmed
            .to_ascii_lowercase()
            .ends_with(&address.to_ascii_lowercase());
    if !whole {
        return Err(fatal(format!(
            "{field}: {item:?} is not a valid email address (separate several with commas)"
        )));
    }
    Ok(parsed)
}

/// The addresses in the first of `names` that is set.
fn mailboxes(task: &Task, names: &[&str]) -> Result<Vec<Mailbox>, TaskError> {
    let Some((field, value)) = names
        .iter()
        .find_map(|n| json_var(task, n).filter(|v| !v.is_null()).map(|v| (*n, v)))
    else {
        return Ok(Vec::new());
    };
    let items = match value {
        Json::Array(items) => items
            .into_iter()
            .filter(|i| !i.is_null())
            .map(|i| match i {
                Json::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        Json::String(s) => split_addresses(&s),
        other => vec![other.to_string()],
    };
    items.iter().map(|item| mailbox(field, item)).collect()
}

/// A fresh Message-ID under `domain`.
fn message_id(domain: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut id = String::new();
    for _ in 0..2 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        id.push_str(&format!("{:016x}", hasher.finish()));
    }
    format!("<{id}@{domain}>")
}

/// A template name: letters, digits, `_`, `-` and inner dots, nothing that leaves the
/// folder.
fn valid_template_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The parts of a named template: subject, text and HTML, each if its file exists.
#[derive(Debug, Default)]
struct TemplateFiles {
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
}

fn read_optional(path: &Path) -> Result<Option<String>, TaskError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fatal(format!("cannot read {}: {e}", path.display()))),
    }
}

impl EmailSendHandler {
    /// A handler sending through `smtp`, with named templates from `templates_dir`.
    pub fn new(smtp: &SmtpConfig, templates_dir: Option<PathBuf>) -> EmailSendHandler {
        EmailSendHandler {
            smtp: smtp.clone(),
            templates_dir,
        }
    }

    fn server(&self, task: &Task) -> Result<Server, TaskError> {
        let overrides: Vec<&str> = ["smtp_server", "smtp_port", "smtp_username", "smtp_password"]
            .into_iter()
            .filter(|n| task.text(n).is_some_and(|v| !v.is_empty()))
            .collect();
        if !overrides.is_empty() && !self.smtp.allow_task_override {
            return Err(fatal(format!(
                "the SMTP settings come from the worker's configuration; process variables may not set {} (set SMTP_ALLOW_TASK_OVERRIDE=true to allow it)",
                overrides.join(", ")
            )));
        }
        let task_value = |name: &str| {
            if self.smtp.allow_task_override {
                task.text(name).filter(|v| !v.is_empty())
            } else {
                None
            }
        };
        let host = task_value("smtp_server")
            .or_else(|| self.smtp.server.clone())
            .filter(|h| !h.trim().is_empty())
            .ok_or_else(|| fatal("no SMTP server is configured (SMTP_SERVER)"))?;
        let port = match task_value("smtp_port") {
            Some(p) => p
                .trim()
                .parse::<u16>()
                .map_err(|_| fatal(format!("smtp_port {p:?} is not a port number")))?,
            None => self.smtp.port.unwrap_or(587),
        };
        let tls = self.smtp.tls.unwrap_or(SmtpTls::default_for_port(port));
        let username = task_value("smtp_username").or_else(|| self.smtp.username.clone());
        let password = task_value("smtp_password")
            .map(Secret::new)
            .or_else(|| self.smtp.password.clone())
            .unwrap_or_default();
        Ok(Server {
            host: host.trim().to_owned(),
            port,
            tls,
            credentials: username.map(|u| (u, password)),
        })
    }

    fn template_files(&self, name: &str) -> Result<TemplateFiles, TaskError> {
        let dir = self
            .templates_dir
            .as_ref()
            .ok_or_else(|| fatal("template_name needs a templates folder (EMAIL_TEMPLATES_DIR)"))?;
        if !valid_template_name(name) {
            return Err(fatal(format!(
                "template_name {name:?} must be a plain file name (letters, digits, _ - .)"
            )));
        }
        let mut files = TemplateFiles::default();
        let ext = Path::new(name).extension().and_then(|e| e.to_str());
        match ext {
            Some("html") | Some("htm") => files.html = read_optional(&dir.join(name))?,
            Some("txt") => files.text = read_optional(&dir.join(name))?,
            _ => {
                files.subject = read_optional(&dir.join(format!("{name}.subject")))?
                    .map(|s| s.trim().to_owned());
                files.text = read_optional(&dir.join(format!("{name}.txt")))?;
                files.html = read_optional(&dir.join(format!("{name}.html")))?;
            }
        }
        if files.text.is_none() && files.html.is_none() {
            return Err(fatal(format!(
                "no template {name:?} in {} (expected {name}.txt or {name}.html)",
                dir.display()
            )));
        }
        Ok(files)
    }

    fn mail(&self, task: &Task) -> Result<Mail, TaskError> {
        let to = mailboxes(task, &["to_email", "recipient_email"])?;
        let cc = mailboxes(task, &["cc"])?;
        let bcc = mailboxes(task, &["bcc"])?;
        if to.is_empty() && cc.is_empty() && bcc.is_empty() {
            return Err(fatal(
                "to_email is required (one address, a comma list or a list)",
            ));
        }
        let from_text = text_of(task, &["from_email"])
            .or_else(|| self.smtp.from.clone())
            .or_else(|| self.smtp.username.clone().filter(|u| u.contains('@')))
            .ok_or_else(|| fatal("no sender: set from_email, or SMTP_FROM for the worker"))?;
        let from = mailbox("from_email", &from_text)?;

        let files = match text_of(task, &["template_name"]) {
            Some(name) => self.template_files(name.trim())?,
            None => TemplateFiles::default(),
        };
        let html_mode =
            text_of(task, &["body_type"]).is_some_and(|t| t.trim().eq_ignore_ascii_case("html"));
        let body = text_of(task, &["body", "message"]).or_else(|| text_of(task, &["template"]));
        let (text, html) = if html_mode {
            (
                files.text,
                text_of(task, &["html_body"]).or(body).or(files.html),
            )
        } else {
            (
                body.or(files.text),
                text_of(task, &["html_body"]).or(files.html),
            )
        };
        let subject = text_of(task, &["subject"])
            .or(files.subject)
            .ok_or_else(|| {
                fatal("subject is required (or a template_name with a NAME.subject file)")
            })?;
        if text.is_none() && html.is_none() {
            return Err(fatal(
                "body is required (or html_body, template or template_name)",
            ));
        }

        let extra = json_var(task, "template_variables");
        let lookup = |name: &str| -> Option<Json> {
            extra
                .as_ref()
                .and_then(|e| e.get(name).cloned())
                .or_else(|| task.json(name))
        };
        let render = |what: &str, template: &str, escape: fn(&str) -> String| {
            render_template(template, &lookup, escape).map_err(|missing| {
                fatal(format!(
                    "the {what} uses {} that no variable sets",
                    missing
                        .iter()
                        .map(|m| format!("{{{{{m}}}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        };
        let subject = render("subject", &subject, no_escape)?;
        if has_line_break(subject.trim_end()) {
            return Err(fatal("the subject must not contain line breaks"));
        }
        let text = text
            .map(|t| render("text body", &t, no_escape))
            .transpose()?;
        let html = html
            .map(|h| render("HTML body", &h, html_escape))
            .transpose()?;
        Ok(Mail {
            from,
            to,
            cc,
            bcc,
            subject: subject.trim_end().to_owned(),
            text,
            html,
        })
    }

    fn message(mail: &Mail, id: &str) -> Result<Message, TaskError> {
        let mut builder = Message::builder()
            .from(mail.from.clone())
            .subject(mail.subject.clone())
            .message_id(Some(id.to_owned()));
        for m in &mail.to {
            builder = builder.to(m.clone());
        }
        for m in &mail.cc {
            builder = builder.cc(m.clone());
        }
        for m in &mail.bcc {
            builder = builder.bcc(m.clone());
        }
        let built = match (&mail.text, &mail.html) {
            (Some(text), Some(html)) => builder.multipart(MultiPart::alternative_plain_html(
                text.clone(),
                html.clone(),
            )),
            (Some(text), None) => builder.singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(text.clone()),
            ),
            (None, Some(html)) => builder.singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.clone()),
            ),
            (None, None) => return Err(fatal("the message has no body")),
        };
        built.map_err(|e| fatal(format!("cannot build the message: {e}")))
    }

    fn transport(&self, server: &Server) -> Result<AsyncSmtpTransport<Tokio1Executor>, TaskError> {
        let timeout =
            Duration::try_from_secs_f64(self.smtp.timeout_secs).unwrap_or(Duration::from_secs(30));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
            .port(server.port)
            .timeout(Some(timeout));
        let params = || {
            TlsParameters::new(server.host.clone())
                .map_err(|e| fatal(format!("cannot set up TLS for {}: {e}", server.host)))
        };
        builder = builder.tls(match server.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(params()?),
            SmtpTls::Tls => Tls::Wrapper(params()?),
        });
        if let Some((user, password)) = &server.credentials {
            if server.tls == SmtpTls::None {
                tracing::warn!(
                    host = %server.host,
                    "email_send: logging in to the SMTP server without TLS (SMTP_TLS=none)"
                );
            }
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        if let Some(name) = &self.smtp.helo_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        Ok(builder.build())
    }

    async fn send(&self, task: &Task) -> Result<Variables, TaskError> {
        let server = self.server(task)?;
        let mail = self.mail(task)?;
        let id = message_id(mail.from.email.domain());
        let message = Self::message(&mail, &id)?;
        let transport = self.transport(&server)?;
        transport.send(message).await.map_err(|e| {
            let mut text = format!(
                "email_send: sending through {}:{} ({:?}) failed: {e}",
                server.host, server.port, server.tls
            );
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                let cause_text = cause.to_string();
                if !text.contains(&cause_text) {
                    text.push_str(": ");
                    text.push_str(&cause_text);
                }
                source = cause.source();
            }
            // A rejection (5xx), a TLS or client problem (no STARTTLS offered, no usable
            // AUTH mechanism) will not go away by itself; 4xx and network errors may.
            if e.is_permanent() || e.is_tls() || e.is_client() {
                TaskError::Fatal(text)
            } else {
                TaskError::Retry(text)
            }
        })?;
        let to = mail
            .to
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        tracing::info!(
            task = %task.id,
            to = %to,
            recipients = mail.to.len() + mail.cc.len() + mail.bcc.len(),
            message_id = %id,
            "email sent"
        );
        Ok(Out::new()
            .set("sent", TypedValue::boolean(true))
            .set("to", TypedValue::string(to))
            .set("message_id", TypedValue::string(id))
            .done())
    }
}

#[async_trait::async_trait]
impl Handler for EmailSendHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        finish(task, self.send(task).await)
    }
}

#[cfg(test)]
mod tests;
