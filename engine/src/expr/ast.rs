//! The parsed form of an expression.
//!
//! Everything that can be decided from the text is decided at parse time: method and
//! function names are resolved to enums, getter names are normalized, `-5` is folded to
//! a literal, and chains (`a || b || c`, `a + b - c`, `a.b[0].c()`) are flat lists, so
//! evaluation never looks at source text and long chains do not deepen the tree.

use super::methods::Method;
use super::value::ElValue;

/// The whole attribute text.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// No `${}` at all: the text, with `\${` escapes resolved.
    Literal(Box<str>),
    /// Exactly one `${...}` and nothing around it: evaluates to the value itself.
    Single(Node),
    /// Text and expressions mixed: evaluates to a String.
    Composite(Box<[Part]>),
}

/// A piece of composite text.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    Text(Box<str>),
    Expr(Node),
}

/// An expression node.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Boxed so that the common nodes stay small; evaluation borrows it.
    Lit(Box<ElValue>),
    Ident(Box<str>),
    Path(Box<Path>),
    Func(Box<FuncCall>),
    Not(Box<Node>),
    Neg(Box<Node>),
    Empty(Box<Node>),
    /// A left-to-right fold: `first op1 x1 op2 x2 ...`, all ops of one precedence level.
    Arith(Box<Arith>),
    Cmp(CmpOp, Box<[Node; 2]>),
    And(Vec<Node>),
    Or(Vec<Node>),
    /// `[condition, then, else]`.
    Cond(Box<[Node; 3]>),
}

/// `first (op operand)*`.
#[derive(Debug, Clone)]
pub(crate) struct Arith {
    pub(crate) first: Node,
    pub(crate) rest: Vec<(ArithOp, Node)>,
}

/// A base followed by property, index and method steps.
#[derive(Debug, Clone)]
pub(crate) struct Path {
    pub(crate) base: Node,
    pub(crate) steps: Box<[Step]>,
    /// Byte offset of the path in the source, to name the base in "resolved to null".
    pub(crate) start: u32,
}

/// One step of a [`Path`].
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// `.name`; `getter` is the method `getName()`/`isName()` that a bean-style value
    /// (a String, a Date) answers the property with.
    Prop { name: Box<str>, getter: Method },
    /// `[expr]`.
    Index(Node),
    /// `.name(args)`.
    Call(Box<Call>),
}

/// A method call step.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) name: Box<str>,
    pub(crate) method: Method,
    /// `getX()`/`isX()`/`setX(v)` normalized to the property `x`, for beans and maps.
    pub(crate) accessor: Accessor,
    pub(crate) args: Box<[Node]>,
    /// Byte offset where the base expression ends (the `.`).
    pub(crate) base_end: u32,
}

/// A Java bean accessor name, reduced to its property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Accessor {
    None,
    Get(Box<str>),
    Set(Box<str>),
}

impl Accessor {
    /// `getProcessInstanceId` → `Get("processInstanceId")`, `isSuspended` →
    /// `Get("suspended")`, `setAssignee` → `Set("assignee")`.
    pub(crate) fn from_method_name(name: &str) -> Accessor {
        let (rest, get) = if let Some(r) = name.strip_prefix("get") {
            (r, true)
        } else if let Some(r) = name.strip_prefix("is") {
            (r, true)
        } else if let Some(r) = name.strip_prefix("set") {
            (r, false)
        } else {
            return Accessor::None;
        };
        if !rest.starts_with(|c: char| c.is_uppercase()) {
            return Accessor::None;
        }
        let property = decapitalize(rest).into_boxed_str();
        if get {
            Accessor::Get(property)
        } else {
            Accessor::Set(property)
        }
    }
}

/// `java.beans.Introspector.decapitalize`: `ProcessInstanceId` → `processInstanceId`,
/// but `URL` stays `URL`.
fn decapitalize(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_uppercase() => s.to_owned(),
        (Some(a), _) => {
            let mut out: String = a.to_lowercase().collect();
            out.push_str(s.get(a.len_utf8()..).unwrap_or(""));
            out
        }
        _ => String::new(),
    }
}

/// `java.beans` capitalization for the getter of a property: `time` → `Time`.
pub(crate) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(a) => a.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A function call (`now()`, `S(x)`, `fn:upper(x)`).
#[derive(Debug, Clone)]
pub(crate) struct FuncCall {
    pub(crate) prefix: Option<Box<str>>,
    pub(crate) name: Box<str>,
    pub(crate) func: Func,
    pub(crate) args: Box<[Node]>,
}

/// The functions procos provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Now,
    DateTime,
    CurrentUser,
    CurrentUserGroups,
    /// `S(x)` and `JSON(x)`.
    Json,
    Xml,
    Unknown,
}

impl Func {
    pub(crate) fn resolve(prefix: Option<&str>, name: &str) -> Func {
        if prefix.is_some() {
            return Func::Unknown;
        }
        match name {
            "now" => Func::Now,
            "dateTime" => Func::DateTime,
            "currentUser" => Func::CurrentUser,
            "currentUserGroups" => Func::CurrentUserGroups,
            "S" | "JSON" => Func::Json,
            "XML" => Func::Xml,
            _ => Func::Unknown,
        }
    }

    /// How many arguments the function takes.
    pub(crate) fn arity(self) -> usize {
        match self {
            Func::Json | Func::Xml => 1,
            _ => 0,
        }
    }
}

/// `+ - * / %`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithOp {
    /// Additive and multiplicative operators fold separately.
    pub(crate) fn is_additive(self) -> bool {
        matches!(self, ArithOp::Add | ArithOp::Sub)
    }
}

/// `== != < <= > >=` and their word forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessor_names_follow_java_beans() {
        assert_eq!(
            Accessor::from_method_name("getProcessInstanceId"),
            Accessor::Get("processInstanceId".into())
        );
        assert_eq!(
            Accessor::from_method_name("isSuspended"),
            Accessor::Get("suspended".into())
        );
        assert_eq!(
            Accessor::from_method_name("setAssignee"),
            Accessor::Set("assignee".into())
        );
        assert_eq!(
            Accessor::from_method_name("getURL"),
            Accessor::Get("URL".into())
        );
        assert_eq!(Accessor::from_method_name("get"), Accessor::None);
        assert_eq!(Accessor::from_method_name("issue"), Accessor::None);
    }
}
