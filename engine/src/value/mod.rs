//! Typed variable values, as Camunda 7 types them.
//!
//! The REST layer converts these to and from Camunda's `{value, type, valueInfo}` JSON;
//! the expression language converts them to and from its own [`crate::expr::ElValue`].

mod variables;

use serde::{Deserialize, Serialize};

pub use variables::{Variable, Variables};

use crate::time::Timestamp;

/// A typed process variable value.
///
/// The variants are Camunda's value types; their names are what the REST API shows in
/// `type` (see [`Value::type_name`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum Value {
    /// `Null`: a variable that exists and holds nothing.
    Null,
    /// `String`.
    String(String),
    /// `Boolean`.
    Boolean(bool),
    /// `Integer`: 32 bits, what untyped JSON integers become when they fit.
    Integer(i32),
    /// `Short`: 16 bits.
    Short(i16),
    /// `Long`: 64 bits; also the result of integer arithmetic in expressions.
    Long(i64),
    /// `Double`.
    Double(f64),
    /// `Date`: milliseconds since the epoch, UTC.
    Date(Timestamp),
    /// `Bytes`: raw bytes, base64 on the wire.
    Bytes(#[serde(with = "base64_bytes")] Vec<u8>),
    /// `Json`: a serialized JSON document, kept as text (Camunda's Spin JSON type).
    Json(String),
    /// `Xml`: a serialized XML document, kept as text (Camunda's Spin XML type).
    Xml(String),
    /// `Object`: a serialized object with its type name and data format.
    Object(ObjectValue),
    /// `File`: a named binary with optional MIME type and encoding.
    File(FileValue),
}

/// An `Object` value: Camunda keeps the serialized text, the Java type name and the
/// serialization format (`application/json`, `application/xml`,
/// `application/x-java-serialized-object`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectValue {
    /// `valueInfo.objectTypeName`, e.g. `java.util.HashMap`.
    pub type_name: Option<String>,
    /// `valueInfo.serializationDataFormat`.
    pub format: Option<String>,
    /// The serialized value.
    pub serialized: String,
}

/// A `File` value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileValue {
    /// `valueInfo.filename` (required by Camunda).
    pub filename: String,
    /// `valueInfo.mimeType`.
    pub mime_type: Option<String>,
    /// `valueInfo.encoding`.
    pub encoding: Option<String>,
    /// The content.
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

/// Serialization format Camunda uses for JSON objects.
pub const JSON_FORMAT: &str = "application/json";

impl Value {
    /// Camunda's type name as the REST API shows it (`String`, `Integer`, `Json`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Null",
            Value::String(_) => "String",
            Value::Boolean(_) => "Boolean",
            Value::Integer(_) => "Integer",
            Value::Short(_) => "Short",
            Value::Long(_) => "Long",
            Value::Double(_) => "Double",
            Value::Date(_) => "Date",
            Value::Bytes(_) => "Bytes",
            Value::Json(_) => "Json",
            Value::Xml(_) => "Xml",
            Value::Object(_) => "Object",
            Value::File(_) => "File",
        }
    }

    /// The string content, when this is a `String`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a 64-bit integer, when it is one of the integer types.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(n) => Some(i64::from(*n)),
            Value::Short(n) => Some(i64::from(*n)),
            Value::Long(n) => Some(*n),
            _ => None,
        }
    }

    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// An `Object` holding `json` in Camunda's JSON format, typed as `type_name`.
    pub fn json_object(type_name: &str, json: &serde_json::Value) -> Value {
        Value::Object(ObjectValue {
            type_name: Some(type_name.to_owned()),
            format: Some(JSON_FORMAT.to_owned()),
            serialized: json.to_string(),
        })
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Integer(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Long(n)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Double(n)
    }
}

/// Bytes as base64 text inside serialized state, so a JSON state blob stays compact.
mod base64_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::value::base64::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::value::base64::decode(&text).map_err(serde::de::Error::custom)
    }
}

pub mod base64;
