//! The JUEL subset Camunda 7 processes use: `${amount > 100}`, `${execution.getVariable('x')}`,
//! `Hello ${name}`, `${dateTime().plusDays(2).toDate()}`.
//!
//! An [`Expression`] is parsed once, when the process is deployed, into a compact tree;
//! evaluating it never looks at the text again. Evaluation asks a [`Context`] (which the
//! runtime implements over the current scope) for beans and variables, and follows
//! JUEL's semantics: EL's coercion rules (JSR-341 §1.23), Long and Double arithmetic
//! with `/` always in Double, null-tolerant property access, and Camunda's error
//! messages. [`ElValue`] models the Java objects involved.
//!
//! What procos does not do: call Spring/CDI beans (there are none; [`Expression::check`]
//! reports such calls at deploy time), EL 3.0 syntax (lambdas, collection literals,
//! assignment, string concatenation with `+=`), method calls through brackets
//! (`a['m']()`), BigDecimal/BigInteger arithmetic, regular expressions, and Spin XML
//! beyond keeping the text.

mod ast;
mod check;
mod datetime;
mod error;
mod eval;
mod json;
mod lexer;
mod methods;
mod ops;
mod parser;
pub mod testing;
mod value;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use ast::{Body, Node, Part, Step};
pub use error::{EvalError, ExprError};
pub use value::{Bean, ElValue};

use crate::time::Timestamp;

/// How deeply expressions may nest (parentheses, operators, arguments), so that
/// parsing, evaluating and dropping a tree are bounded in stack. Real expressions nest
/// a handful of levels.
pub const MAX_NESTING: u32 = 200;

/// What an expression can see while it is evaluated. The runtime implements this over
/// the current execution or task; [`testing::MapContext`] is a standalone one.
pub trait Context {
    /// Resolves a root identifier. The engine returns beans for `execution` (and `task`,
    /// `externalTask` where they exist) before variables, then the variable visible from
    /// the current scope (local first, then parents), else `None`, which is
    /// [`EvalError::UnknownProperty`].
    fn resolve(&self, name: &str) -> Option<ElValue>;

    /// `execution.getVariable(name)` and friends: variables only (`None` reads as null
    /// for `getVariable` and false for `hasVariable`).
    fn variable(&self, name: &str) -> Option<ElValue>;

    /// `getVariableLocal(name)`: the current scope only.
    fn variable_local(&self, name: &str) -> Option<ElValue>;

    /// The names visible from the current scope, for `getVariables()` and
    /// `getVariableNames()`.
    fn variable_names(&self) -> Vec<String>;

    /// `setVariable(name, value)`.
    fn set_variable(&mut self, name: &str, value: ElValue) -> Result<(), EvalError>;

    /// `setVariableLocal(name, value)`.
    fn set_variable_local(&mut self, name: &str, value: ElValue) -> Result<(), EvalError>;

    /// `removeVariable(name)`.
    fn remove_variable(&mut self, name: &str) -> Result<(), EvalError>;

    /// A property of a bean, normalized from getters: `execution.getProcessInstanceId()`
    /// and `execution.processInstanceId` both ask for `processInstanceId`;
    /// `isSuspended()` asks for `suspended`. `None` is an error (unknown property).
    fn bean_property(&self, bean: Bean, property: &str) -> Option<ElValue>;

    /// A bean setter, normalized like [`Context::bean_property`]: `task.setAssignee('x')`
    /// sets `assignee`. Returns `Ok(false)` when the bean has no such settable property,
    /// which is an unknown-method error; the default supports none.
    fn set_bean_property(
        &mut self,
        bean: Bean,
        property: &str,
        value: ElValue,
    ) -> Result<bool, EvalError> {
        let _ = (bean, property, value);
        Ok(false)
    }

    /// The current time, for `now()` and `dateTime()`.
    fn now(&self) -> Timestamp;

    /// `currentUser()` and `authenticatedUserId`.
    fn current_user(&self) -> Option<String>;

    /// `currentUserGroups()`.
    fn current_user_groups(&self) -> Vec<String>;
}

/// A parsed expression text: a plain literal (no `${...}`), a single `${...}`/`#{...}`,
/// or composite text like `alert-${x}`.
///
/// Two expressions are equal when their texts are; an expression serializes as its text.
///
/// ```
/// use procos_engine::expr::{testing::MapContext, ElValue, Expression};
///
/// let condition = Expression::parse("${amount > 100}").unwrap();
/// let mut ctx = MapContext::new().with_var("amount", 150i64);
/// assert!(condition.evaluate_condition(&mut ctx).unwrap());
///
/// let name = Expression::parse("Review order ${amount / 2}").unwrap();
/// assert_eq!(name.evaluate(&mut ctx).unwrap(), ElValue::from("Review order 75.0"));
/// ```
#[derive(Clone)]
pub struct Expression {
    source: Box<str>,
    body: Body,
}

impl Expression {
    /// Parses a whole attribute text. `${` and `#{` are equivalent; a backslash before
    /// either makes it literal text (`\${x}` is the text `${x}`).
    pub fn parse(text: &str) -> Result<Expression, ExprError> {
        Ok(Expression {
            source: text.into(),
            body: parser::parse(text)?,
        })
    }

    /// The original text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the text contains no expression at all.
    pub fn is_literal(&self) -> bool {
        matches!(self.body, Body::Literal(_))
    }

    /// The text of a literal expression, with escapes resolved.
    pub fn literal_text(&self) -> Option<&str> {
        match &self.body {
            Body::Literal(t) => Some(t),
            _ => None,
        }
    }

    /// The name when the text is exactly one identifier, like `${myDelegate}` in a
    /// `camunda:delegateExpression`: useful to tell a bean reference from a variable.
    pub fn single_identifier(&self) -> Option<&str> {
        match &self.body {
            Body::Single(Node::Ident(name)) => Some(name),
            _ => None,
        }
    }

    /// True when the text is a single method call, like
    /// `${execution.setVariable('a', 1)}` (JUEL's `isMethodInvocation`; function calls
    /// such as `now()` are not method calls).
    pub fn is_method_expression(&self) -> bool {
        match &self.body {
            Body::Single(Node::Path(p)) => matches!(p.steps.last(), Some(Step::Call(_))),
            _ => false,
        }
    }

    /// Evaluates the expression. A single `${...}` yields its value; literal and
    /// composite text yield a String.
    pub fn evaluate(&self, ctx: &mut dyn Context) -> Result<ElValue, EvalError> {
        match &self.body {
            Body::Literal(t) => Ok(ElValue::String(t.to_string())),
            Body::Single(n) => eval::eval(n, ctx)
                .map(std::borrow::Cow::into_owned)
                .map_err(|f| f.into_eval_error(&self.source)),
            Body::Composite(parts) => self.composite(parts, ctx).map(ElValue::String),
        }
    }

    /// Evaluates a condition. As in Camunda, the result must be a Boolean: null and
    /// other types are errors, not false (so a literal `true` without `${}` is a String
    /// and fails too).
    pub fn evaluate_condition(&self, ctx: &mut dyn Context) -> Result<bool, EvalError> {
        let class = match &self.body {
            Body::Single(n) if eval::is_boolean(n) => {
                return eval::truth(n, ctx).map_err(|f| f.into_eval_error(&self.source))
            }
            Body::Single(n) => {
                let v = eval::eval(n, ctx).map_err(|f| f.into_eval_error(&self.source))?;
                match &*v {
                    ElValue::Bool(b) => return Ok(*b),
                    ElValue::Null => {
                        return Err(EvalError::NullCondition {
                            expression: self.source.to_string(),
                        })
                    }
                    other => other.java_class_name().into_owned(),
                }
            }
            Body::Literal(_) => "java.lang.String".to_owned(),
            Body::Composite(parts) => {
                self.composite(parts, ctx)?;
                "java.lang.String".to_owned()
            }
        };
        Err(EvalError::NonBooleanCondition {
            expression: self.source.to_string(),
            class,
        })
    }

    /// Evaluates to text, for topics, assignees, names and the like: null is `None`,
    /// anything else its EL string coercion.
    pub fn evaluate_to_string(&self, ctx: &mut dyn Context) -> Result<Option<String>, EvalError> {
        match &self.body {
            Body::Literal(t) => Ok(Some(t.to_string())),
            Body::Single(n) => {
                let v = eval::eval(n, ctx).map_err(|f| f.into_eval_error(&self.source))?;
                if v.is_null() {
                    return Ok(None);
                }
                let mut out = String::new();
                append(&v, &mut out);
                Ok(Some(out))
            }
            Body::Composite(parts) => self.composite(parts, ctx).map(Some),
        }
    }

    /// Deploy-time problems: calls of Java beans (procos has none), of unknown
    /// functions and of function namespaces. Empty when the expression can run.
    pub fn check(&self) -> Vec<String> {
        check::check(&self.body, &self.source)
    }

    fn composite(&self, parts: &[Part], ctx: &mut dyn Context) -> Result<String, EvalError> {
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(n) => {
                    let v = eval::eval(n, ctx).map_err(|f| f.into_eval_error(&self.source))?;
                    append(&v, &mut out);
                }
            }
        }
        Ok(out)
    }
}

/// Appends EL's string coercion of `v`, writing numbers without a temporary String.
fn append(v: &ElValue, out: &mut String) {
    match v {
        ElValue::Null => {}
        ElValue::Int(_)
        | ElValue::Short(_)
        | ElValue::Long(_)
        | ElValue::Double(_)
        | ElValue::Date(_)
        | ElValue::DateTime(_)
        | ElValue::List(_)
        | ElValue::Map(_) => value::write_java(v, out),
        other => out.push_str(&other.coerce_to_string()),
    }
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expression").field(&self.source).finish()
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Expression {}

impl std::hash::Hash for Expression {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.hash(state);
    }
}

impl FromStr for Expression {
    type Err = ExprError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Expression::parse(s)
    }
}

impl serde::Serialize for Expression {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> serde::Deserialize<'de> for Expression {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Expression::parse(&text).map_err(serde::de::Error::custom)
    }
}
