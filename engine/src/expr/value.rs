//! Values during evaluation, modelled on the Java objects JUEL sees, with EL's coercion
//! rules (JSR-341 section 1.23, as JUEL's `TypeConverterImpl` implements them).

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::time::Timestamp;
use crate::value::{Value, JSON_FORMAT};

use super::datetime;
use super::error::Fault;
use super::json;

/// A value during evaluation.
///
/// The variants are the Java types a Camunda expression meets: EL's own literals
/// (`Long`, `Double`, `String`, `Boolean`, null), the types process variables
/// deserialize to, and the beans the engine exposes.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ElValue {
    /// `null`.
    #[default]
    Null,
    /// `java.lang.Boolean`.
    Bool(bool),
    /// `java.lang.Integer` (variables typed `Integer`, `String.length()`).
    Int(i32),
    /// `java.lang.Short`.
    Short(i16),
    /// `java.lang.Long`: integer literals and integer arithmetic.
    Long(i64),
    /// `java.lang.Double`: floating literals, `/`, arithmetic with a Double.
    Double(f64),
    /// `java.lang.String`.
    String(String),
    /// `java.util.Date`.
    Date(Timestamp),
    /// The Joda `DateTime` returned by `dateTime()`, always in UTC.
    DateTime(Timestamp),
    /// `java.util.List`.
    List(Vec<ElValue>),
    /// `java.util.Map` with String keys, in insertion order.
    Map(Vec<(String, ElValue)>),
    /// A variable value of another type passed through untouched (Bytes, File, Json,
    /// Xml, Object). JSON documents are navigated on demand.
    Typed(Value),
    /// One of the objects the engine exposes by name.
    Bean(Bean),
}

/// The engine objects an expression can reach by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bean {
    /// `execution`: the current `DelegateExecution`.
    Execution,
    /// `task`: the current task in task listeners.
    Task,
    /// `externalTask`: the current external task.
    ExternalTask,
}

impl Bean {
    /// The name expressions use for this bean.
    pub fn name(self) -> &'static str {
        match self {
            Bean::Execution => "execution",
            Bean::Task => "task",
            Bean::ExternalTask => "externalTask",
        }
    }

    /// The bean a root identifier names, if any.
    pub fn from_name(name: &str) -> Option<Bean> {
        match name {
            "execution" => Some(Bean::Execution),
            "task" => Some(Bean::Task),
            "externalTask" => Some(Bean::ExternalTask),
            _ => None,
        }
    }

    /// The class Camunda's object has, for error messages.
    pub fn java_class(self) -> &'static str {
        match self {
            Bean::Execution => "org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity",
            Bean::Task => "org.camunda.bpm.engine.impl.persistence.entity.TaskEntity",
            Bean::ExternalTask => {
                "org.camunda.bpm.engine.impl.persistence.entity.ExternalTaskEntity"
            }
        }
    }
}

/// Java class names used in messages and for the `java.util` values procos stores.
pub(crate) const CLASS_LONG: &str = "java.lang.Long";
pub(crate) const CLASS_INTEGER: &str = "java.lang.Integer";
pub(crate) const CLASS_DOUBLE: &str = "java.lang.Double";
pub(crate) const CLASS_BOOLEAN: &str = "java.lang.Boolean";
pub(crate) const CLASS_LIST: &str = "java.util.ArrayList";
pub(crate) const CLASS_MAP: &str = "java.util.LinkedHashMap";

impl ElValue {
    /// The EL view of a variable value. JSON and other structured values stay as they
    /// are until an expression navigates into them.
    pub fn from_value(v: &Value) -> ElValue {
        match v {
            Value::Null => ElValue::Null,
            Value::String(s) => ElValue::String(s.clone()),
            Value::Boolean(b) => ElValue::Bool(*b),
            Value::Integer(n) => ElValue::Int(*n),
            Value::Short(n) => ElValue::Short(*n),
            Value::Long(n) => ElValue::Long(*n),
            Value::Double(n) => ElValue::Double(*n),
            Value::Date(t) => ElValue::Date(*t),
            other => ElValue::Typed(other.clone()),
        }
    }

    /// The variable value to store for this result. Lists and maps become Java
    /// collections serialized as JSON, as Camunda would store them with a JSON
    /// serializer; a Joda DateTime becomes a Date.
    pub fn into_value(self) -> Value {
        match self {
            ElValue::Null => Value::Null,
            ElValue::Bool(b) => Value::Boolean(b),
            ElValue::Int(n) => Value::Integer(n),
            ElValue::Short(n) => Value::Short(n),
            ElValue::Long(n) => Value::Long(n),
            ElValue::Double(n) => Value::Double(n),
            ElValue::String(s) => Value::String(s),
            ElValue::Date(t) | ElValue::DateTime(t) => Value::Date(t),
            v @ ElValue::List(_) => Value::json_object(CLASS_LIST, &json::to_json(&v)),
            v @ ElValue::Map(_) => Value::json_object(CLASS_MAP, &json::to_json(&v)),
            ElValue::Typed(v) => v,
            ElValue::Bean(b) => Value::String(b.name().to_owned()),
        }
    }

    /// The Java class of the value, for messages (`java.lang.String`, ...). `null` has
    /// no class; it reports `null`.
    pub fn java_class(&self) -> &'static str {
        match self {
            ElValue::Null => "null",
            ElValue::Bool(_) => CLASS_BOOLEAN,
            ElValue::Int(_) => CLASS_INTEGER,
            ElValue::Short(_) => "java.lang.Short",
            ElValue::Long(_) => CLASS_LONG,
            ElValue::Double(_) => CLASS_DOUBLE,
            ElValue::String(_) => "java.lang.String",
            ElValue::Date(_) => "java.util.Date",
            ElValue::DateTime(_) => "org.joda.time.DateTime",
            ElValue::List(_) => CLASS_LIST,
            ElValue::Map(_) => CLASS_MAP,
            ElValue::Typed(v) => match v {
                Value::Bytes(_) => "[B",
                Value::Json(_) => "org.camunda.spin.impl.json.jackson.JacksonJsonNode",
                Value::Xml(_) => "org.camunda.spin.impl.xml.dom.DomXmlElement",
                Value::File(_) => "java.io.ByteArrayInputStream",
                _ => "java.lang.Object",
            },
            ElValue::Bean(b) => b.java_class(),
        }
    }

    /// Like [`ElValue::java_class`], but an `Object` variable reports its own type name
    /// (`com.acme.Order`), which is what Camunda's messages would show.
    pub fn java_class_name(&self) -> Cow<'_, str> {
        match self {
            ElValue::Typed(Value::Object(o)) => match &o.type_name {
                Some(t) => Cow::Borrowed(t.as_str()),
                None => Cow::Borrowed("java.lang.Object"),
            },
            other => Cow::Borrowed(other.java_class()),
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, ElValue::Null)
    }

    /// EL's coercion to String: null is `""`, numbers print as Java prints them (`5`,
    /// `5.0`, `1.0E10`), dates as ISO 8601, collections like Java's `toString()`.
    pub fn coerce_to_string(&self) -> Cow<'_, str> {
        match self {
            ElValue::Null => Cow::Borrowed(""),
            ElValue::String(s) => Cow::Borrowed(s),
            ElValue::Bool(true) => Cow::Borrowed("true"),
            ElValue::Bool(false) => Cow::Borrowed("false"),
            ElValue::Typed(Value::Json(t) | Value::Xml(t)) => Cow::Borrowed(t),
            ElValue::Typed(Value::Object(o)) => Cow::Borrowed(&o.serialized),
            ElValue::Typed(Value::File(f)) => Cow::Borrowed(&f.filename),
            ElValue::Bean(b) => Cow::Borrowed(b.name()),
            other => {
                let mut out = String::new();
                write_java(other, &mut out);
                Cow::Owned(out)
            }
        }
    }

    /// [`ElValue::coerce_to_string`], consuming the value so a String is not copied.
    pub fn into_value_string(self) -> String {
        match self {
            ElValue::String(s) => s,
            other => other.coerce_to_string().into_owned(),
        }
    }

    /// True for the integral Java types (`Short`, `Integer`, `Long`).
    pub(crate) fn is_integer(&self) -> bool {
        matches!(self, ElValue::Int(_) | ElValue::Short(_) | ElValue::Long(_))
    }

    /// True for Double, the one floating type procos has.
    pub(crate) fn is_float(&self) -> bool {
        matches!(self, ElValue::Double(_))
    }
}

/// Java's `toString()` of a value nested in a collection: unlike EL's string coercion,
/// null prints as `null`.
pub(crate) fn write_java(v: &ElValue, out: &mut String) {
    match v {
        ElValue::Null => out.push_str("null"),
        ElValue::Int(n) => {
            let _ = write!(out, "{n}");
        }
        ElValue::Short(n) => {
            let _ = write!(out, "{n}");
        }
        ElValue::Long(n) => {
            let _ = write!(out, "{n}");
        }
        ElValue::Double(d) => write_java_double(*d, out),
        ElValue::Date(t) => datetime::write_date(*t, out),
        ElValue::DateTime(t) => datetime::write_datetime(*t, out),
        ElValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_java(item, out);
            }
            out.push(']');
        }
        ElValue::Map(entries) => {
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                write_java(item, out);
            }
            out.push('}');
        }
        ElValue::Typed(Value::Bytes(b)) => out.push_str(&String::from_utf8_lossy(b)),
        other => out.push_str(&other.coerce_to_string()),
    }
}

/// Java's `Double.toString`: the shortest digits that round-trip, in plain notation for
/// magnitudes in [10^-3, 10^7) and in computerized scientific notation (`1.0E10`)
/// otherwise; always with a fractional part.
pub(crate) fn write_java_double(d: f64, out: &mut String) {
    if d.is_nan() {
        out.push_str("NaN");
        return;
    }
    if d.is_infinite() {
        out.push_str(if d > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if d == 0.0 {
        out.push_str(if d.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    if d < 0.0 {
        out.push('-');
    }
    let abs = d.abs();
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. `1.2345e3`.
    let sci = format!("{abs:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let first = digits.get(..1).unwrap_or("0");
    let rest = digits.get(1..).unwrap_or("");
    if (1e-3..1e7).contains(&abs) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(digits.get(..int_len).unwrap_or(""));
                out.push('.');
                out.push_str(digits.get(int_len..).unwrap_or(""));
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        let _ = write!(out, "E{exp}");
    }
}

/// `Long.valueOf(String)`: optional sign and decimal digits, nothing else.
fn parse_java_long(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// `Double.valueOf(String)`: Java trims control characters and spaces, accepts a
/// trailing type suffix and the words `NaN` and `Infinity`, but not Rust's `inf`/`nan`.
pub(crate) fn parse_java_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (sign, body) = match t.strip_prefix('-') {
        Some(b) => (-1.0, b),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    match body {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(sign * f64::INFINITY),
        _ => {}
    }
    let body = body
        .strip_suffix(['d', 'D', 'f', 'F'])
        .filter(|b| !b.is_empty())
        .unwrap_or(body);
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

/// EL coercion to Long (`coerceToLong`): null and `""` are 0, numbers convert like
/// Java's `longValue()`, strings must hold an integer, anything else is an error.
pub(crate) fn to_long(v: &ElValue) -> Result<i64, Fault> {
    match v {
        ElValue::Null => Ok(0),
        ElValue::Long(n) => Ok(*n),
        ElValue::Int(n) => Ok(i64::from(*n)),
        ElValue::Short(n) => Ok(i64::from(*n)),
        // `as` saturates and maps NaN to 0, exactly like Java's (long) cast.
        ElValue::Double(d) => Ok(*d as i64),
        ElValue::String(s) if s.is_empty() => Ok(0),
        ElValue::String(s) => parse_java_long(s).ok_or_else(|| Fault::coerce_value(v, CLASS_LONG)),
        other => Err(Fault::coerce_type(other, CLASS_LONG)),
    }
}

/// EL coercion to Integer, for `int` method parameters (`substring(1)`, `plusDays(2)`).
pub(crate) fn to_int(v: &ElValue) -> Result<i32, Fault> {
    match v {
        ElValue::Null => Ok(0),
        ElValue::Int(n) => Ok(*n),
        ElValue::Short(n) => Ok(i32::from(*n)),
        // Java's intValue() keeps the low 32 bits.
        ElValue::Long(n) => Ok(*n as i32),
        ElValue::Double(d) => Ok(*d as i32),
        ElValue::String(s) if s.is_empty() => Ok(0),
        ElValue::String(s) => s
            .parse::<i32>()
            .map_err(|_| Fault::coerce_value(v, CLASS_INTEGER)),
        other => Err(Fault::coerce_type(other, CLASS_INTEGER)),
    }
}

/// EL coercion to Double.
pub(crate) fn to_double(v: &ElValue) -> Result<f64, Fault> {
    match v {
        ElValue::Null => Ok(0.0),
        ElValue::Double(d) => Ok(*d),
        ElValue::Long(n) => Ok(*n as f64),
        ElValue::Int(n) => Ok(f64::from(*n)),
        ElValue::Short(n) => Ok(f64::from(*n)),
        ElValue::String(s) if s.is_empty() => Ok(0.0),
        ElValue::String(s) => {
            parse_java_double(s).ok_or_else(|| Fault::coerce_value(v, CLASS_DOUBLE))
        }
        other => Err(Fault::coerce_type(other, CLASS_DOUBLE)),
    }
}

/// EL coercion to Boolean: null and `""` are false, strings follow `Boolean.valueOf`
/// (only a case-insensitive `true` is true), numbers are an error.
pub(crate) fn to_bool(v: &ElValue) -> Result<bool, Fault> {
    match v {
        ElValue::Null => Ok(false),
        ElValue::Bool(b) => Ok(*b),
        ElValue::String(s) => Ok(s.eq_ignore_ascii_case("true")),
        other => Err(Fault::coerce_type(other, CLASS_BOOLEAN)),
    }
}

/// JUEL's `isFloatOrDoubleOrDotEe`: a Double, or a String that looks like a floating
/// number. Decides whether `+ - * %` compute in Double or in Long.
pub(crate) fn is_float_like(v: &ElValue) -> bool {
    match v {
        ElValue::Double(_) => true,
        ElValue::String(s) => s.contains(['.', 'e', 'E']),
        _ => false,
    }
}

impl From<&str> for ElValue {
    fn from(s: &str) -> Self {
        ElValue::String(s.to_owned())
    }
}

impl From<String> for ElValue {
    fn from(s: String) -> Self {
        ElValue::String(s)
    }
}

impl From<bool> for ElValue {
    fn from(b: bool) -> Self {
        ElValue::Bool(b)
    }
}

impl From<i32> for ElValue {
    fn from(n: i32) -> Self {
        ElValue::Int(n)
    }
}

impl From<i64> for ElValue {
    fn from(n: i64) -> Self {
        ElValue::Long(n)
    }
}

impl From<f64> for ElValue {
    fn from(n: f64) -> Self {
        ElValue::Double(n)
    }
}

impl From<&Value> for ElValue {
    fn from(v: &Value) -> Self {
        ElValue::from_value(v)
    }
}

/// True when an `Object` variable holds JSON that expressions can navigate.
pub(crate) fn is_json_format(format: Option<&str>) -> bool {
    format.is_some_and(|f| f.eq_ignore_ascii_case(JSON_FORMAT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn java(d: f64) -> String {
        let mut s = String::new();
        write_java_double(d, &mut s);
        s
    }

    #[test]
    fn doubles_print_like_java_double_to_string() {
        assert_eq!(java(5.0), "5.0");
        assert_eq!(java(0.6), "0.6");
        assert_eq!(java(-1.5), "-1.5");
        assert_eq!(java(1234567.0), "1234567.0");
        assert_eq!(java(1.0e7), "1.0E7");
        assert_eq!(java(1.0e10), "1.0E10");
        assert_eq!(java(1.2345e-5), "1.2345E-5");
        assert_eq!(java(0.001), "0.001");
        assert_eq!(java(0.0001), "1.0E-4");
        assert_eq!(java(100.25), "100.25");
        assert_eq!(java(f64::NAN), "NaN");
        assert_eq!(java(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(java(-0.0), "-0.0");
    }

    #[test]
    fn java_double_parsing_rejects_rust_only_spellings() {
        assert_eq!(parse_java_double(" 1.5 "), Some(1.5));
        assert_eq!(parse_java_double("2d"), Some(2.0));
        assert_eq!(parse_java_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_java_double("inf"), None);
        assert_eq!(parse_java_double("abc"), None);
    }

    #[test]
    fn variable_values_round_trip() {
        let v = Value::Long(7);
        assert_eq!(ElValue::from_value(&v), ElValue::Long(7));
        assert_eq!(ElValue::from_value(&v).into_value(), v);
        let json = Value::Json("{\"a\":1}".into());
        assert_eq!(ElValue::from_value(&json), ElValue::Typed(json.clone()));
        let list = ElValue::List(vec![ElValue::Long(1), ElValue::from("x")]);
        match list.into_value() {
            Value::Object(o) => {
                assert_eq!(o.type_name.as_deref(), Some("java.util.ArrayList"));
                assert_eq!(o.format.as_deref(), Some(JSON_FORMAT));
                assert_eq!(o.serialized, "[1,\"x\"]");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
