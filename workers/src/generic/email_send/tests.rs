//! `email_send` against a real SMTP server: aiosmtpd (Python), started on 127.0.0.1 by
//! `workers/tests/smtp_sink.py` from the virtual environment `scripts/setup-clients`
//! makes.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use super::*;
use crate::generic::test_support::{task, temp_dir};

/// A running `smtp_sink.py`; killed when dropped.
struct Sink {
    child: Child,
    folder: PathBuf,
    port: u16,
}

fn python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("clients")
        .join("python")
        .join(".venv")
        .join("bin")
        .join("python");
    assert!(
        python.exists(),
        "the Python test packages are not installed ({} is missing): run scripts/setup-clients",
        python.display()
    );
    python
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Sink {
    fn start(auth: Option<(&str, &str)>) -> Sink {
        let folder = temp_dir("smtp");
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("smtp_sink.py");
        let mut command = Command::new(python());
        command
            .arg(&script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--folder")
            .arg(&folder)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some((user, password)) = auth {
            command.args(["--user", user, "--password", password]);
        }
        let mut child = command.spawn().expect("start smtp_sink.py");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let ready = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        if ready.trim() != "READY" {
            let _ = child.kill();
            let output = child.wait_with_output().ok();
            let stderr = output
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            panic!(
                "the SMTP server did not start (is aiosmtpd installed? run scripts/setup-clients): {stderr}"
            );
        }
        Sink {
            child,
            folder,
            port,
        }
    }

    /// The messages received so far, in order.
    fn messages(&self) -> Vec<Json> {
        let mut found = Vec::new();
        for n in 1.. {
            let path = self.folder.join(format!("{n}.json"));
            match std::fs::read_to_string(&path) {
                Ok(text) => found.push(serde_json::from_str(&text).expect("a JSON record")),
                Err(_) => break,
            }
        }
        found
    }

    /// Waits (briefly) for `n` messages.
    fn wait_for(&self, n: usize) -> Vec<Json> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() > deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn config(&self, tls: SmtpTls, auth: Option<(&str, &str)>) -> SmtpConfig {
        SmtpConfig {
            server: Some("127.0.0.1".to_owned()),
            port: Some(self.port),
            tls: Some(tls),
            username: auth.map(|(u, _)| u.to_owned()),
            password: auth.map(|(_, p)| Secret::new(p)),
            timeout_secs: 10.0,
            ..SmtpConfig::default()
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

fn completed(outcome: Outcome) -> Variables {
    match outcome {
        Outcome::Complete { variables, .. } => variables,
        other => panic!("expected completion, got {other:?}"),
    }
}

fn fatal_message(outcome: Outcome) -> String {
    match outcome {
        Outcome::Failure {
            message, retries, ..
        } => {
            assert_eq!(retries, Some(0), "{message} should not be retried");
            message
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// The headers of a raw message (unfolded), and its text.
fn header<'a>(data: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    data.split("\r\n\r\n").next()?.lines().find_map(|line| {
        line.to_ascii_lowercase()
            .starts_with(&prefix)
            .then(|| line[prefix.len()..].trim())
    })
}

#[tokio::test]
async fn sends_text_and_html_with_cc_and_bcc_through_a_real_smtp_server() {
    let auth = Some(("worker", "s3cret"));
    let sink = Sink::start(auth);
    let handler = EmailSendHandler::new(&sink.config(SmtpTls::None, auth), None);
    let vars = completed(
        handler
            .handle(&task(
                TOPIC,
                json!({
                    "to_email": "Ada Lovelace <ada@example.com>, bob@example.com",
                    "cc": ["carol@example.com"],
                    "bcc": "dave@example.com",
                    "from_email": "Shop <shop@example.org>",
                    "subject": "Order {{order_id}} shipped",
                    "body": "Hello {{customer.name}}, order {{order_id}} is on its way.",
                    "html_body": "<p>Hello <b>{{customer.name}}</b></p>",
                    "order_id": 42,
                    "customer": {"name": "Ada & Co"},
                }),
            ))
            .await,
    );
    assert_eq!(vars["sent"], TypedValue::boolean(true));
    assert_eq!(
        vars["to"],
        TypedValue::string("Ada Lovelace <ada@example.com>, bob@example.com")
    );
    let id = vars["message_id"]
        .to_json()
        .as_str()
        .expect("a message id")
        .to_owned();
    assert!(id.starts_with('<') && id.ends_with("@example.org>"), "{id}");

    let messages = sink.wait_for(1);
    assert_eq!(messages.len(), 1, "one message delivered");
    let m = &messages[0];
    assert_eq!(m["login"], "worker", "AUTH was used");
    assert_eq!(m["mail_from"], "shop@example.org");
    let mut rcpt: Vec<&str> = m["rcpt_tos"]
        .as_array()
        .expect("recipients")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    rcpt.sort_unstable();
    assert_eq!(
        rcpt,
        [
            "ada@example.com",
            "bob@example.com",
            "carol@example.com",
            "dave@example.com"
        ]
    );
    let data = m["data"].as_str().expect("the message");
    assert_eq!(header(data, "Subject"), Some("Order 42 shipped"));
    assert_eq!(header(data, "Message-ID"), Some(id.as_str()));
    assert_eq!(header(data, "Cc"), Some("carol@example.com"));
    assert!(
        header(data, "To").is_some_and(|to| to.contains("ada@example.com")),
        "{data}"
    );
    assert_eq!(header(data, "Bcc"), None, "Bcc is not shown: {data}");
    assert!(
        header(data, "Content-Type").is_some_and(|t| t.starts_with("multipart/alternative")),
        "{data}"
    );
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    assert!(data.contains("Content-Type: text/html"), "{data}");
    assert!(
        data.contains("Hello Ada & Co, order 42 is on its way."),
        "{data}"
    );
    assert!(data.contains("<p>Hello <b>Ada &amp; Co</b></p>"), "{data}");
}

#[tokio::test]
async fn named_templates_come_from_the_templates_folder() {
    let sink = Sink::start(None);
    let dir = temp_dir("templates");
    std::fs::write(dir.join("welcome.subject"), "Welcome, {{name}}\n").expect("write");
    std::fs::write(dir.join("welcome.html"), "<h1>Hi {{name}}</h1>").expect("write");
    let handler = EmailSendHandler::new(&sink.config(SmtpTls::None, None), Some(dir.clone()));
    let vars = completed(
        handler
            .handle(&task(
                TOPIC,
                json!({
                    "to_email": ["eve@example.com"],
                    "from_email": "noreply@example.org",
                    "template_name": "welcome",
                    "template_variables": {"name": "Eve"},
                }),
            ))
            .await,
    );
    assert_eq!(vars["to"], TypedValue::string("eve@example.com"));
    let messages = sink.wait_for(1);
    let data = messages[0]["data"].as_str().expect("the message");
    assert_eq!(header(data, "Subject"), Some("Welcome, Eve"));
    assert!(
        header(data, "Content-Type").is_some_and(|t| t.starts_with("text/html")),
        "{data}"
    );
    assert!(data.contains("<h1>Hi Eve</h1>"), "{data}");

    let message = fatal_message(
        handler
            .handle(&task(
                TOPIC,
                json!({"to_email": "eve@example.com", "from_email": "a@example.org",
                       "template_name": "../etc/passwd"}),
            ))
            .await,
    );
    assert!(message.contains("plain file name"), "{message}");
    let message = fatal_message(
        handler
            .handle(&task(
                TOPIC,
                json!({"to_email": "eve@example.com", "from_email": "a@example.org",
                       "subject": "Hi", "template": "Dear {{nobody}}"}),
            ))
            .await,
    );
    assert!(message.contains("{{nobody}}"), "{message}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn starttls_is_required_when_chosen_and_a_bad_login_is_final() {
    let auth = Some(("worker", "s3cret"));
    let sink = Sink::start(auth);
    let mail = json!({"to_email": "ada@example.com", "from_email": "shop@example.org",
                      "subject": "Hi", "body": "text"});
    // The sink offers no STARTTLS: the send fails instead of going on in plain text.
    let handler = EmailSendHandler::new(&sink.config(SmtpTls::Starttls, auth), None);
    let message = fatal_message(handler.handle(&task(TOPIC, mail.clone())).await);
    assert!(
        message.to_ascii_lowercase().contains("starttls"),
        "{message}"
    );
    // Implicit TLS against a plain server fails too (and nothing is sent in the clear).
    let handler = EmailSendHandler::new(&sink.config(SmtpTls::Tls, auth), None);
    match handler.handle(&task(TOPIC, mail.clone())).await {
        Outcome::Failure { message, .. } => assert!(message.contains("(Tls)"), "{message}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    // A wrong password is rejected (535) and not retried; it is never shown.
    let handler = EmailSendHandler::new(
        &sink.config(SmtpTls::None, Some(("worker", "wrong-password"))),
        None,
    );
    let message = fatal_message(handler.handle(&task(TOPIC, mail)).await);
    assert!(!message.contains("wrong-password"), "{message}");
    assert!(sink.messages().is_empty(), "nothing was delivered");
}

#[tokio::test]
async fn header_injection_and_task_chosen_servers_are_refused() {
    let config = SmtpConfig {
        server: Some("127.0.0.1".to_owned()),
        port: Some(1),
        tls: Some(SmtpTls::None),
        ..SmtpConfig::default()
    };
    let handler = EmailSendHandler::new(&config, None);
    let base = json!({"to_email": "ada@example.com", "from_email": "shop@example.org",
                      "subject": "Hi", "body": "text"});
    let with = |field: &str, value: Json| {
        let mut vars = base.clone();
        vars[field] = value;
        task(TOPIC, vars)
    };
    for (t, needle) in [
        (
            with("subject", json!("Hi\r\nBcc: evil@example.com")),
            "line breaks",
        ),
        (with("subject", json!("Hi {{x}}")), "{{x}}"),
        (
            with(
                "to_email",
                json!("ada@example.com\r\nBcc: evil@example.com"),
            ),
            "line breaks",
        ),
        (
            with("cc", json!(["ok@example.com", "evil@example.com\nX: y"])),
            "line breaks",
        ),
        (
            with(
                "from_email",
                json!("shop@example.org\nBcc: evil@example.com"),
            ),
            "line breaks",
        ),
        (
            with("to_email", json!("ada@example.com bob@example.com")),
            "not a valid email",
        ),
        (
            with("to_email", json!("not-an-address")),
            "not a valid email",
        ),
        (with("to_email", json!([])), "to_email is required"),
        (
            with("smtp_server", json!("mail.evil.example")),
            "SMTP_ALLOW_TASK_OVERRIDE",
        ),
    ] {
        let message = fatal_message(handler.handle(&t).await);
        assert!(message.contains(needle), "{needle}: {message}");
    }
    let no_server = EmailSendHandler::new(&SmtpConfig::default(), None);
    let message = fatal_message(no_server.handle(&task(TOPIC, base)).await);
    assert!(message.contains("SMTP_SERVER"), "{message}");
}

#[test]
fn address_lists_split_outside_quotes() {
    assert_eq!(
        split_addresses("\"Doe, J\" <j@example.com>, k@example.com; l@example.com"),
        [
            "\"Doe, J\" <j@example.com>",
            "k@example.com",
            "l@example.com"
        ]
    );
}
