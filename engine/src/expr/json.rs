//! JSON values inside expressions: navigation into `Json` and JSON-serialized `Object`
//! variables, and the small part of Camunda Spin's JSON API that processes use.

use serde_json::Value as Json;

use crate::value::Value;

use super::error::Fault;
use super::value::{is_json_format, ElValue};

/// The JSON text behind a value that expressions may navigate, and whether it is a Spin
/// node (a `Json` variable: containers stay Spin nodes) or a Java object serialized as
/// JSON (containers become Java lists and maps).
pub(crate) fn source(v: &ElValue) -> Option<(&str, bool)> {
    match v {
        ElValue::Typed(Value::Json(text)) => Some((text, true)),
        ElValue::Typed(Value::Object(o)) if is_json_format(o.format.as_deref()) => {
            Some((&o.serialized, false))
        }
        _ => None,
    }
}

/// Parses a JSON document; serde_json bounds the nesting, so a hostile document cannot
/// exhaust the stack here or in [`to_el`].
pub(crate) fn parse(text: &str) -> Result<Json, Fault> {
    serde_json::from_str(text).map_err(|e| Fault::failed(format!("invalid JSON: {e}")))
}

/// The EL value of a JSON node: scalars become Java scalars (integral numbers Long,
/// others Double); containers become Spin nodes or Java collections (see [`source`]).
pub(crate) fn to_el(v: &Json, spin: bool) -> ElValue {
    match v {
        Json::Null => ElValue::Null,
        Json::Bool(b) => ElValue::Bool(*b),
        Json::Number(n) => number(n),
        Json::String(s) => ElValue::String(s.clone()),
        Json::Array(_) | Json::Object(_) if spin => ElValue::Typed(Value::Json(v.to_string())),
        Json::Array(items) => ElValue::List(items.iter().map(|i| to_el(i, false)).collect()),
        Json::Object(map) => ElValue::Map(
            map.iter()
                .map(|(k, i)| (k.clone(), to_el(i, false)))
                .collect(),
        ),
    }
}

/// A JSON number as Long when written as an integer that fits, else Double.
pub(crate) fn number(n: &serde_json::Number) -> ElValue {
    match n.as_i64() {
        Some(i) => ElValue::Long(i),
        None => ElValue::Double(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// The JSON form of a value, as a JSON serializer (Jackson) would write the Java
/// object: dates as epoch milliseconds, non-finite doubles as null.
pub(crate) fn to_json(v: &ElValue) -> Json {
    match v {
        ElValue::Null => Json::Null,
        ElValue::Bool(b) => Json::Bool(*b),
        ElValue::Int(n) => Json::from(*n),
        ElValue::Short(n) => Json::from(*n),
        ElValue::Long(n) => Json::from(*n),
        ElValue::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
        ElValue::String(s) => Json::String(s.clone()),
        ElValue::Date(t) | ElValue::DateTime(t) => Json::from(t.millis()),
        ElValue::List(items) => Json::Array(items.iter().map(to_json).collect()),
        ElValue::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, i)| (k.clone(), to_json(i)))
                .collect(),
        ),
        ElValue::Typed(Value::Json(t)) => {
            serde_json::from_str(t).unwrap_or_else(|_| Json::String(t.clone()))
        }
        ElValue::Typed(Value::Object(o)) if is_json_format(o.format.as_deref()) => {
            serde_json::from_str(&o.serialized)
                .unwrap_or_else(|_| Json::String(o.serialized.clone()))
        }
        other => Json::String(other.coerce_to_string().into_owned()),
    }
}

/// JUEL's `ListELResolver` index: numbers truncate to int, strings must hold an int.
/// A negative index reads nothing (`None`), like an index past the end.
pub(crate) fn list_index(key: &ElValue) -> Result<Option<usize>, Fault> {
    let i: i64 = match key {
        ElValue::Long(n) => i64::from(*n as i32),
        ElValue::Int(n) => i64::from(*n),
        ElValue::Short(n) => i64::from(*n),
        ElValue::Double(d) => i64::from(*d as i32),
        ElValue::String(s) => match s.parse::<i32>() {
            Ok(n) => i64::from(n),
            Err(_) => return Err(Fault::failed(format!("Cannot parse list index: {s}"))),
        },
        other => {
            return Err(Fault::failed(format!(
                "Cannot use a {} as list index",
                other.java_class_name()
            )))
        }
    };
    Ok(usize::try_from(i).ok())
}

/// One navigation step into a JSON node; `None` when there is nothing there (a missing
/// property, an index out of range, a step into a scalar), which reads as null.
pub(crate) fn step<'j>(node: &'j Json, key: &ElValue) -> Result<Option<&'j Json>, Fault> {
    match node {
        Json::Array(items) => Ok(list_index(key)?.and_then(|i| items.get(i))),
        Json::Object(map) => Ok(map.get(key.coerce_to_string().as_ref())),
        _ => Ok(None),
    }
}

/// `S(x)` and `JSON(x)`: a Spin JSON node from JSON text, a `Json` variable, a JSON
/// `Object` variable, or a list or map.
pub(crate) fn spin_of(v: &ElValue) -> Result<ElValue, Fault> {
    match v {
        ElValue::String(text) => {
            parse(text)?;
            Ok(ElValue::Typed(Value::Json(text.clone())))
        }
        ElValue::Typed(Value::Json(_)) => Ok(v.clone()),
        ElValue::Typed(Value::Object(o)) if is_json_format(o.format.as_deref()) => {
            Ok(ElValue::Typed(Value::Json(o.serialized.clone())))
        }
        ElValue::List(_) | ElValue::Map(_) => {
            Ok(ElValue::Typed(Value::Json(to_json(v).to_string())))
        }
        other => Err(Fault::failed(format!(
            "Cannot create a Spin JSON node from {}",
            other.java_class_name()
        ))),
    }
}

/// `XML(x)`: procos keeps XML as text; only `toString()` works on it.
pub(crate) fn xml_of(v: &ElValue) -> Result<ElValue, Fault> {
    match v {
        ElValue::String(text) | ElValue::Typed(Value::Xml(text)) => {
            Ok(ElValue::Typed(Value::Xml(text.clone())))
        }
        other => Err(Fault::failed(format!(
            "Cannot create a Spin XML node from {}",
            other.java_class_name()
        ))),
    }
}
