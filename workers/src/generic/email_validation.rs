//! `email_validation`: checks that a variable holds one usable email address.
//!
//! Inputs: `email` or `recipient_email`. Outputs: `email_valid` (Boolean) and
//! `email_error` (why not, or null). The address must be bare (`user@example.com`, no
//! display name), at most 254 characters, parse as an address (RFC 5321 local part and
//! domain, via lettre), and have a dotted domain name. No DNS lookups. The task always
//! completes: processes branch on `email_valid`.

use std::str::FromStr;

use lettre::Address;

use super::common::{text_of, Out};
use crate::task::{Handler, Outcome, Task, TypedValue};

/// The topic.
pub const TOPIC: &str = "email_validation";

/// Serves `email_validation`.
#[derive(Debug, Default)]
pub struct EmailValidationHandler;

/// None when `email` is a usable address, else why not.
pub fn email_problem(email: &str) -> Option<String> {
    let email = email.trim();
    if email.is_empty() {
        return Some("no email address given".to_owned());
    }
    if email.chars().any(char::is_control) || email.contains(' ') {
        return Some("an email address must not contain spaces or control characters".to_owned());
    }
    if email.len() > 254 {
        return Some("an email address is at most 254 characters long".to_owned());
    }
    let address = match Address::from_str(email) {
        Ok(a) => a,
        Err(e) => return Some(format!("{email:?} is not a valid email address: {e}")),
    };
    let domain = address.domain();
    let labels: Vec<&str> = domain.split('.').collect();
    let dotted = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels.last().is_some_and(|tld| {
            tld.len() >= 2 && tld.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if !dotted {
        return Some(format!("{email:?} has no valid domain name"));
    }
    None
}

#[async_trait::async_trait]
impl Handler for EmailValidationHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        let email = text_of(task, &["email", "recipient_email"]).unwrap_or_default();
        let problem = email_problem(&email);
        Outcome::complete(
            Out::new()
                .set("email_valid", TypedValue::boolean(problem.is_none()))
                .set(
                    "email_error",
                    problem.map_or_else(TypedValue::null, TypedValue::string),
                )
                .done(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic::test_support::task;
    use serde_json::json;

    #[test]
    fn addresses_are_checked() {
        for ok in ["ada@example.com", "a.b+tag@mail.example.co.uk", " x@y.io "] {
            assert_eq!(email_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "ada@example.",
            "a b@example.com",
            "ada@example.com\r\nBcc: x@y.z",
            "Ada <ada@example.com>",
            "ada@@example.com",
        ] {
            assert!(email_problem(bad).is_some(), "{bad:?} passed");
        }
    }

    #[tokio::test]
    async fn the_handler_reads_either_name() {
        let outcome = EmailValidationHandler
            .handle(&task(TOPIC, json!({"recipient_email": "ada@example.com"})))
            .await;
        let Outcome::Complete { variables, .. } = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(variables["email_valid"], TypedValue::boolean(true));
        assert_eq!(variables["email_error"], TypedValue::null());
        let outcome = EmailValidationHandler
            .handle(&task(TOPIC, json!({"email": "nope"})))
            .await;
        let Outcome::Complete { variables, .. } = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(variables["email_valid"], TypedValue::boolean(false));
        assert!(variables["email_error"].to_json().is_string());
    }
}
