//! Parse and evaluation errors, worded like JUEL's and Camunda's so that operators who
//! know Camunda recognise them (and so that incident messages stay comparable).

use super::value::ElValue;

/// A syntax error in an expression text, found when the text is parsed (deploy time).
///
/// `message` is complete, in JUEL's words: `Error parsing '${a +}': syntax error at
/// position 5, encountered '}', expected <IDENTIFIER>|...`. JUEL counts positions from 0,
/// so the message says `position 5` where `column` (1-based, as editors count) is 6.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    /// The full human-readable message, including the expression text.
    pub message: String,
    /// 1-based character offset of the offending token within the whole text.
    pub column: usize,
}

/// An error while evaluating an expression.
///
/// The `Display` texts are Camunda's: `JuelExpression` turns JUEL's
/// `PropertyNotFoundException` into "Unknown property used in expression", its
/// `MethodNotFoundException` into "Unknown method used in expression" and any other
/// `ELException` into "Error while evaluating expression".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// A root identifier that is neither a bean nor a visible variable.
    #[error(
        "Unknown property used in expression: {expression}. Cause: Cannot resolve identifier '{identifier}'"
    )]
    UnknownProperty {
        /// The expression text.
        expression: String,
        /// The identifier that could not be resolved.
        identifier: String,
    },
    /// A property that the base value does not have, or a method called on `null`.
    #[error("Unknown property used in expression: {expression}. Cause: {cause}")]
    PropertyNotFound {
        /// The expression text.
        expression: String,
        /// JUEL's explanation, e.g. `Could not find property foo in class java.lang.String`.
        cause: String,
    },
    /// A method the value's class does not have (with this number of arguments).
    #[error(
        "Unknown method used in expression: {expression}. Cause: Cannot find method '{method}' in 'class {class}'"
    )]
    UnknownMethod {
        /// The expression text.
        expression: String,
        /// The method name as written.
        method: String,
        /// The Java class of the value the method was called on.
        class: String,
    },
    /// A function other than the ones procos provides.
    #[error(
        "Error while evaluating expression: {expression}. Cause: Could not resolve function '{function}'"
    )]
    UnknownFunction {
        /// The expression text.
        expression: String,
        /// The function name, with its namespace prefix if any.
        function: String,
    },
    /// A value that EL's coercion rules cannot convert, e.g. `'abc' > 5`.
    #[error("Error while evaluating expression: {expression}. Cause: {message}")]
    Coercion {
        /// The expression text.
        expression: String,
        /// E.g. `Cannot coerce 'abc' of class java.lang.String to class java.lang.Long`.
        message: String,
    },
    /// Integer remainder by zero (`/` always divides as Double, so it never fails).
    #[error("Error while evaluating expression: {expression}. Cause: {message}")]
    Arithmetic {
        /// The expression text.
        expression: String,
        /// Java's message, `/ by zero`.
        message: String,
    },
    /// Something Camunda can do but procos deliberately does not (regular expressions).
    #[error("Error while evaluating expression: {expression}. Cause: {message}")]
    Unsupported {
        /// The expression text.
        expression: String,
        /// What is not supported.
        message: String,
    },
    /// Any other failure inside a method or function: an index out of bounds, a JSON
    /// text that does not parse, a date out of range.
    #[error("Error while evaluating expression: {expression}. Cause: {message}")]
    Failed {
        /// The expression text.
        expression: String,
        /// What went wrong.
        message: String,
    },
    /// A condition that evaluated to `null` (Camunda rejects it rather than taking it as
    /// false).
    #[error("condition expression returns null: result is null")]
    NullCondition {
        /// The expression text.
        expression: String,
    },
    /// A condition that evaluated to something other than a Boolean.
    #[error(
        "condition expression returns non-Boolean: result has class {class} and not java.lang.Boolean"
    )]
    NonBooleanCondition {
        /// The expression text.
        expression: String,
        /// The Java class of the result.
        class: String,
    },
    /// An error raised by the [`super::Context`] (for example while setting a variable).
    #[error("{0}")]
    Custom(String),
}

/// An evaluation failure before the expression text is attached: the evaluator does not
/// carry the source around, so the error path alone pays for copying it. Boxed, so that
/// the `Result`s of the hot path stay a word or two wide.
#[derive(Debug)]
pub(crate) struct Fault(Box<FaultKind>);

#[derive(Debug)]
pub(crate) enum FaultKind {
    Identifier(String),
    Property(String),
    /// A method called on null; the byte range is the base expression in the source.
    BaseNull {
        start: u32,
        end: u32,
    },
    Method {
        method: String,
        class: String,
    },
    Function(String),
    Coercion(String),
    Arithmetic(String),
    Unsupported(String),
    Failed(String),
    Context(EvalError),
}

impl Fault {
    pub(crate) fn identifier(name: String) -> Fault {
        Fault(Box::new(FaultKind::Identifier(name)))
    }

    pub(crate) fn property(cause: String) -> Fault {
        Fault(Box::new(FaultKind::Property(cause)))
    }

    pub(crate) fn base_null(start: u32, end: u32) -> Fault {
        Fault(Box::new(FaultKind::BaseNull { start, end }))
    }

    pub(crate) fn method(method: String, class: String) -> Fault {
        Fault(Box::new(FaultKind::Method { method, class }))
    }

    pub(crate) fn function(name: String) -> Fault {
        Fault(Box::new(FaultKind::Function(name)))
    }

    pub(crate) fn coercion(message: String) -> Fault {
        Fault(Box::new(FaultKind::Coercion(message)))
    }

    pub(crate) fn arithmetic(message: String) -> Fault {
        Fault(Box::new(FaultKind::Arithmetic(message)))
    }

    pub(crate) fn unsupported(message: String) -> Fault {
        Fault(Box::new(FaultKind::Unsupported(message)))
    }

    pub(crate) fn failed(message: String) -> Fault {
        Fault(Box::new(FaultKind::Failed(message)))
    }

    /// An error from the [`super::Context`], passed through unchanged.
    pub(crate) fn context(e: EvalError) -> Fault {
        Fault(Box::new(FaultKind::Context(e)))
    }

    /// JUEL's `error.coerce.value`: the value's content cannot become the target type.
    pub(crate) fn coerce_value(value: &ElValue, to: &str) -> Fault {
        Fault::coercion(format!(
            "Cannot coerce '{}' of class {} to class {}",
            value.coerce_to_string(),
            value.java_class_name(),
            to
        ))
    }

    /// JUEL's `error.coerce.type`: the value's type never converts to the target type.
    pub(crate) fn coerce_type(value: &ElValue, to: &str) -> Fault {
        Fault::coercion(format!(
            "Cannot coerce from class {} to class {}",
            value.java_class_name(),
            to
        ))
    }

    /// Attaches the expression text.
    pub(crate) fn into_eval_error(self, source: &str) -> EvalError {
        let expression = source.to_owned();
        match *self.0 {
            FaultKind::Identifier(identifier) => EvalError::UnknownProperty {
                expression,
                identifier,
            },
            FaultKind::Property(cause) => EvalError::PropertyNotFound { expression, cause },
            FaultKind::BaseNull { start, end } => {
                let base = source
                    .get(start as usize..end as usize)
                    .unwrap_or("")
                    .trim();
                EvalError::PropertyNotFound {
                    cause: format!("Target unreachable, base expression '{base}' resolved to null"),
                    expression,
                }
            }
            FaultKind::Method { method, class } => EvalError::UnknownMethod {
                expression,
                method,
                class,
            },
            FaultKind::Function(function) => EvalError::UnknownFunction {
                expression,
                function,
            },
            FaultKind::Coercion(message) => EvalError::Coercion {
                expression,
                message,
            },
            FaultKind::Arithmetic(message) => EvalError::Arithmetic {
                expression,
                message,
            },
            FaultKind::Unsupported(message) => EvalError::Unsupported {
                expression,
                message,
            },
            FaultKind::Failed(message) => EvalError::Failed {
                expression,
                message,
            },
            FaultKind::Context(e) => e,
        }
    }
}
