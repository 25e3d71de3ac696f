//! Camunda's JSON variable values `{value, type, valueInfo}` and the engine's [`Value`].
//!
//! The contract is `shared/camunda/COMPAT.md` §4, taken from Camunda 7.23's
//! `VariableValueDto` (`toTypedValue` for input, `fromTypedValue` for output), the value
//! types behind it and what the JS and Python clients really send.
//!
//! # Where procos deliberately differs from Camunda
//!
//! - **Untyped JSON objects and arrays** (`{"value": {"a": 1}}`, `{"value": [1, 2]}`) are
//!   stored as a [`Value::Json`] holding the serialized JSON. Camunda would turn the
//!   Jackson map or list into an `Object` in the engine's default serialization format
//!   (Java serialization, usually refused); procos has no Java classes to serialize, and
//!   a `Json` value keeps the data readable by expressions and every client.
//! - **Typed nulls** (`{"type": "String", "value": null}`, `{"type": "Integer", "value":
//!   ""}`) become [`Value::Null`]: the engine has no "String that is null", so such a
//!   variable is shown as `Null` afterwards instead of keeping its declared type.
//! - **File errors** (no `valueInfo`, no `filename`, no content) answer 400
//!   `InvalidRequestException` with Camunda's own messages. Camunda lets its
//!   `IllegalArgumentException` escape and answers 500.
//! - **A non-boolean `valueInfo.transient`** on a typed value is refused with Camunda's
//!   message for it ("The property 'transient' should have a value of type 'boolean'."),
//!   always as a 400. Camunda wraps it in a "Cannot convert value …" text for primitive
//!   types and answers 500 for the others. `"transient": null` counts as absent.
//! - **The abstract type `Number`** is refused as an unsupported type. Camunda's REST layer
//!   accepts it, but its engine cannot store a value of an abstract type (inferred).
//! - **Camunda echoes Java's `toString()`** of the value in its "Cannot convert value" text.
//!   procos matches it for strings, integers, booleans, maps (`{a=1}`) and lists (`[1,
//!   2]`). Large or tiny doubles are written the Rust way (`1e20`, where Java writes
//!   `1.0E20`).

use std::borrow::Cow;

use procos_engine::time::{format_camunda, parse_date_lenient, Timestamp};
use procos_engine::value::{base64, FileValue, ObjectValue, Value, Variables, JSON_FORMAT};
use serde_json::{Map, Number, Value as Json};

/// Camunda's exception class for a variable whose `type` is unknown (`RestException`).
const REST_EXCEPTION: &str = "RestException";
/// Camunda's exception class for a value that does not fit its type.
const INVALID_REQUEST: &str = "InvalidRequestException";

/// A variable as Camunda's REST API carries it: `{"value": …, "type": …, "valueInfo": …}`.
///
/// Unknown keys are ignored, as Camunda's Jackson setup does
/// (`FAIL_ON_UNKNOWN_PROPERTIES=false`). A missing or `null` `type` makes the value
/// *untyped* (the Python clients send `{"value": v}` and `{"value": v, "type": null,
/// "valueInfo": null}`).
///
/// Deserialize a single value (`PUT …/variables/{name}`) straight into this type. For a
/// body's map of variables keep the raw JSON map and call [`variables_from_dto`]: it also
/// takes the entries that are not variable objects, as Camunda does.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct VariableValueDto {
    /// The value; missing means `null`.
    #[serde(default)]
    pub value: Json,
    /// The type name as the client wrote it (`String`, `string`, `json`, …); `None` for an
    /// untyped value.
    #[serde(default, rename = "type")]
    pub type_name: Option<String>,
    /// `valueInfo`: `transient`, `objectTypeName`, `serializationDataFormat`, `filename`,
    /// `mimeType`, `encoding`.
    #[serde(default, rename = "valueInfo")]
    pub value_info: Option<Map<String, Json>>,
}

impl VariableValueDto {
    /// Reads one variable object out of an already parsed request body.
    ///
    /// Like Jackson, a scalar `type` (`5`, `true`) is taken as its text; a `type` or
    /// `valueInfo` of the wrong JSON shape is refused (Camunda refuses the whole body).
    pub fn from_object(object: &Map<String, Json>) -> Result<Self, ValueError> {
        let parts = DtoParts::of(object)?;
        Ok(VariableValueDto {
            value: parts.value.clone(),
            type_name: parts.type_name.map(Cow::into_owned),
            value_info: parts.value_info.cloned(),
        })
    }
}

/// A variable object's parts, borrowed from the request body so that a large base64 file
/// content is not copied before it is decoded.
struct DtoParts<'a> {
    value: &'a Json,
    type_name: Option<Cow<'a, str>>,
    value_info: Option<&'a Map<String, Json>>,
}

impl<'a> DtoParts<'a> {
    fn of(object: &'a Map<String, Json>) -> Result<Self, ValueError> {
        let type_name = match object.get("type") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(Cow::Borrowed(s.as_str())),
            // Jackson coerces a scalar to the String field.
            Some(scalar @ (Json::Number(_) | Json::Bool(_))) => {
                Some(Cow::Owned(scalar.to_string()))
            }
            Some(Json::Array(_) | Json::Object(_)) => {
                return Err(ValueError::invalid(
                    "Cannot read the variable's 'type': expected a string",
                ))
            }
        };
        let value_info = match object.get("valueInfo") {
            None | Some(Json::Null) => None,
            Some(Json::Object(info)) => Some(info),
            Some(_) => {
                return Err(ValueError::invalid(
                    "Cannot read the variable's 'valueInfo': expected a JSON object",
                ))
            }
        };
        Ok(DtoParts {
            value: object.get("value").unwrap_or(&Json::Null),
            type_name,
            value_info,
        })
    }
}

/// A variable value that procos cannot accept; the request answers 400.
///
/// [`Display`](std::fmt::Display) is Camunda's message alone, without the variable's name,
/// because Camunda's messages do not name it either. Endpoints that prefix it do so
/// themselves, e.g. start: `"Cannot instantiate process definition X: " + message` as an
/// `InvalidRequestException`; other endpoints answer the error as it is
/// (`From<ValueError> for RestError`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    /// The variable's name, set by [`variables_from_dto`]; `None` for a single value.
    pub variable: Option<String>,
    /// Camunda's message, e.g. "Unsupported value type 'Foo'".
    pub message: String,
    /// The Java class Camunda throws for this failure, which becomes the error body's
    /// `type`: `RestException` for an unknown type name, `InvalidRequestException` for
    /// everything else.
    pub exception: &'static str,
}

impl ValueError {
    fn invalid(message: impl Into<String>) -> Self {
        ValueError {
            variable: None,
            message: message.into(),
            exception: INVALID_REQUEST,
        }
    }

    fn unsupported_type(type_name: &str) -> Self {
        ValueError {
            variable: None,
            message: format!("Unsupported value type '{type_name}'"),
            exception: REST_EXCEPTION,
        }
    }

    fn cannot_convert(value: &Json, type_name: &str, java_type: &str) -> Self {
        ValueError::invalid(format!(
            "Cannot convert value '{}' of type '{type_name}' to java type {java_type}",
            java_text(value)
        ))
    }

    fn for_variable(mut self, name: &str) -> Self {
        self.variable = Some(name.to_owned());
        self
    }
}

/// The value types a REST client may name, after Camunda's `fromRestApiTypeName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Boolean,
    Integer,
    Short,
    Long,
    Double,
    Date,
    Bytes,
    Null,
    Object,
    Json,
    Xml,
    File,
}

impl Kind {
    /// Camunda lowercases only the first letter and then looks the name up exactly, so
    /// `string` and `String` are the same type and `JSON` is no type at all.
    fn from_rest_name(name: &str) -> Option<Kind> {
        let mut chars = name.chars();
        let first = chars.next()?;
        let rest = chars.as_str();
        let mut lowered = String::with_capacity(name.len());
        lowered.extend(first.to_lowercase());
        lowered.push_str(rest);
        Some(match lowered.as_str() {
            "string" => Kind::String,
            "boolean" => Kind::Boolean,
            "integer" => Kind::Integer,
            "short" => Kind::Short,
            "long" => Kind::Long,
            "double" => Kind::Double,
            "date" => Kind::Date,
            "bytes" => Kind::Bytes,
            "null" => Kind::Null,
            "object" => Kind::Object,
            "json" => Kind::Json,
            "xml" => Kind::Xml,
            "file" => Kind::File,
            _ => return None,
        })
    }

    /// The Java class named in "Cannot convert value … to java type X".
    fn java_type(self) -> &'static str {
        match self {
            Kind::Boolean => "java.lang.Boolean",
            Kind::Integer => "java.lang.Integer",
            Kind::Short => "java.lang.Short",
            Kind::Long => "java.lang.Long",
            Kind::Double => "java.lang.Double",
            Kind::Date => "java.util.Date",
            Kind::Bytes => "[B",
            _ => "java.lang.String",
        }
    }
}

/// Parses one incoming value (COMPAT §4.1) into the engine's value and its transient flag.
///
/// - **Type names** are case-insensitive in the first letter only: `string` and `String`
///   are fine, `JSON` is "Unsupported value type 'JSON'".
/// - **Untyped values** are inferred as Camunda does: see [`untyped_value`].
/// - **Primitive types** re-read a value of another JSON type from its text, as Jackson
///   does: `{"type":"Integer","value":"42"}` and `{"type":"Long","value":5}` are fine,
///   `{"type":"Integer","value":4.5}` is "Cannot convert value '4.5' of type 'Integer' to
///   java type java.lang.Integer". `Short` is range-checked, `Boolean` takes `true`,
///   `false` and those words in text (also `True`, `TRUE`, …), `Date` is read leniently
///   ([`parse_date_lenient`]), `Bytes` from base64. Text is trimmed; empty text and
///   `"null"` mean null, as with Jackson. `Null` ignores the value.
/// - **Object, Json, Xml** need a string or null ("Must provide 'null' or String value
///   for value of SerializableValue type 'Object'."); `Object` keeps
///   `valueInfo.objectTypeName` and `valueInfo.serializationDataFormat`.
/// - **File** decodes a base64 value and needs `valueInfo.filename`; `mimeType` or
///   `mimetype` (the JS client's spelling) and `encoding` are optional.
/// - **`valueInfo.transient`** is honoured for every type; untyped values take it only when
///   it is a boolean, as Camunda does.
pub fn value_from_dto(dto: &VariableValueDto) -> Result<(Value, bool), ValueError> {
    convert(
        &dto.value,
        dto.type_name.as_deref(),
        dto.value_info.as_ref(),
    )
}

fn convert(
    value: &Json,
    type_name: Option<&str>,
    info: Option<&Map<String, Json>>,
) -> Result<(Value, bool), ValueError> {
    let Some(type_name) = type_name else {
        // Camunda's untyped branch checks `instanceof Boolean` and ignores anything else.
        let transient = info
            .and_then(|i| i.get("transient"))
            .and_then(Json::as_bool)
            .unwrap_or(false);
        return Ok((untyped_value(value), transient));
    };
    let kind =
        Kind::from_rest_name(type_name).ok_or_else(|| ValueError::unsupported_type(type_name))?;
    let value = typed_value(kind, type_name, value, info)?;
    Ok((value, typed_transient(info)?))
}

/// The value Camunda infers for an untyped JSON value (no `type`), as Jackson decodes it.
///
/// - string → `String`; `true`/`false` → `Boolean`; `null` → `Null`;
/// - an integral number → `Integer` when it fits 32 bits, else `Long` (a number beyond 64
///   bits, a Java `BigInteger`, becomes a `Double`);
/// - a number with a fraction or exponent → `Double`;
/// - an object or array → `Json` holding its serialized text (see the module docs).
///
/// This is also the raw value of fetchAndLock's `processVariables` filter, which Camunda
/// passes to the engine without any conversion.
pub fn untyped_value(value: &Json) -> Value {
    match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::String(s) => Value::String(s.clone()),
        Json::Number(n) => number_value(n),
        Json::Array(_) | Json::Object(_) => Value::Json(value.to_string()),
    }
}

fn number_value(n: &Number) -> Value {
    match n.as_i64() {
        Some(i) => match i32::try_from(i) {
            Ok(small) => Value::Integer(small),
            Err(_) => Value::Long(i),
        },
        // A fraction, an exponent, or an integer beyond i64 (serde_json's u64 or f64).
        None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
    }
}

fn typed_value(
    kind: Kind,
    type_name: &str,
    value: &Json,
    info: Option<&Map<String, Json>>,
) -> Result<Value, ValueError> {
    let fail = || ValueError::cannot_convert(value, type_name, kind.java_type());
    match kind {
        Kind::Null => Ok(Value::Null),
        Kind::String => Ok(match value {
            Json::Null => Value::Null,
            Json::String(s) => Value::String(s.clone()),
            // Jackson reads `"5"` as the String "5": the value's text.
            other => Value::String(java_text(other)),
        }),
        Kind::Boolean => reread(value, parse_java_boolean)
            .map(|b| b.map_or(Value::Null, Value::Boolean))
            .ok_or_else(fail),
        Kind::Integer => reread(value, |s| s.parse::<i32>().ok())
            .map(|n| n.map_or(Value::Null, Value::Integer))
            .ok_or_else(fail),
        Kind::Short => reread(value, |s| s.parse::<i16>().ok())
            .map(|n| n.map_or(Value::Null, Value::Short))
            .ok_or_else(fail),
        Kind::Long => reread(value, |s| s.parse::<i64>().ok())
            .map(|n| n.map_or(Value::Null, Value::Long))
            .ok_or_else(fail),
        Kind::Double => reread(value, parse_java_double)
            .map(|n| n.map_or(Value::Null, Value::Double))
            .ok_or_else(fail),
        Kind::Date => match value {
            // Camunda's date mapper is a SimpleDateFormat: a JSON number is no date.
            Json::Number(_) | Json::Bool(_) | Json::Array(_) | Json::Object(_) => Err(fail()),
            _ => reread(value, |s| parse_date_lenient(s).ok())
                .map(|t| t.map_or(Value::Null, Value::Date))
                .ok_or_else(fail),
        },
        Kind::Bytes => match value {
            Json::Null => Ok(Value::Null),
            Json::String(s) => base64::decode(s).map(Value::Bytes).map_err(|_| fail()),
            _ => Err(fail()),
        },
        Kind::Object | Kind::Json | Kind::Xml => {
            let serialized = match value {
                Json::Null => return Ok(Value::Null),
                Json::String(s) => s.clone(),
                _ => {
                    return Err(ValueError::invalid(format!(
                        "Must provide 'null' or String value for value of SerializableValue type '{type_name}'."
                    )))
                }
            };
            Ok(match kind {
                Kind::Json => Value::Json(serialized),
                Kind::Xml => Value::Xml(serialized),
                _ => Value::Object(ObjectValue {
                    type_name: info_string(info, "objectTypeName")?,
                    format: info_string(info, "serializationDataFormat")?,
                    serialized,
                }),
            })
        }
        Kind::File => file_value(value, info),
    }
}

/// Jackson's `readValue("\"" + value + "\"", javaType)` for the numeric, boolean and date
/// types: the value's text, trimmed, parsed; empty text or `"null"` is a null.
///
/// `None` when the text does not parse; `Some(None)` for a null.
fn reread<T>(value: &Json, parse: impl FnOnce(&str) -> Option<T>) -> Option<Option<T>> {
    let text = match value {
        Json::Null => return Some(None),
        Json::String(s) => Cow::Borrowed(s.as_str()),
        other => Cow::Owned(java_text(other)),
    };
    let text = text.trim();
    if text.is_empty() || text == "null" {
        return Some(None);
    }
    parse(text).map(Some)
}

/// Jackson's Boolean from text: `true`, `True`, `TRUE` and the same for false.
fn parse_java_boolean(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Java's `Double.parseDouble` (plus Jackson's `INF`) for the forms clients write.
///
/// Rust's parser alone would also take `inf` and `nan` in any case, which Java refuses.
fn parse_java_double(text: &str) -> Option<f64> {
    match text {
        "NaN" | "+NaN" | "-NaN" => return Some(f64::NAN),
        "Infinity" | "+Infinity" | "INF" | "+INF" => return Some(f64::INFINITY),
        "-Infinity" | "-INF" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    text.parse().ok()
}

/// A `valueInfo` entry that must be text when present (Camunda casts it to `String`).
fn info_string(info: Option<&Map<String, Json>>, key: &str) -> Result<Option<String>, ValueError> {
    match info.and_then(|i| i.get(key)) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ValueError::invalid(format!(
            "The value info property '{key}' must be a string"
        ))),
    }
}

/// `transient` of a typed value: Camunda's `AbstractValueTypeImpl.isTransient`.
fn typed_transient(info: Option<&Map<String, Json>>) -> Result<bool, ValueError> {
    match info.and_then(|i| i.get("transient")) {
        None | Some(Json::Null) => Ok(false),
        Some(Json::Bool(b)) => Ok(*b),
        Some(_) => Err(ValueError::invalid(
            "The property 'transient' should have a value of type 'boolean'.",
        )),
    }
}

/// Camunda's `FileValueTypeImpl.createValue`, with its messages, after the REST layer has
/// decoded a base64 string.
fn file_value(value: &Json, info: Option<&Map<String, Json>>) -> Result<Value, ValueError> {
    let Some(info) = info else {
        return Err(ValueError::invalid("Cannot create file without valueInfo."));
    };
    let filename = match info.get("filename") {
        None | Some(Json::Null) => {
            return Err(ValueError::invalid(
                "Cannot create file without filename! Please set a name into ValueInfo with key filename",
            ))
        }
        // Camunda calls toString() on whatever it finds.
        Some(name) => java_text(name),
    };
    let data = match value {
        Json::String(s) => base64::decode(s).map_err(|e| {
            ValueError::invalid(format!("Cannot read the content of file '{filename}': {e}"))
        })?,
        _ => {
            return Err(ValueError::invalid(
                "Provided value is not of File, InputStream or byte[] type.",
            ))
        }
    };
    // The JS client writes `mimetype`; Camunda reads `mimeType` only and would lose it.
    let text = |key: &str| info.get(key).filter(|v| !v.is_null()).map(java_text);
    Ok(Value::File(FileValue {
        filename,
        mime_type: text("mimeType").or_else(|| text("mimetype")),
        encoding: text("encoding"),
        data,
    }))
}

/// Java's `toString()` of what Jackson decoded, as Camunda's messages show it: text
/// without quotes, maps as `{a=1, b=x}`, lists as `[1, 2]`.
fn java_text(value: &Json) -> String {
    let mut out = String::new();
    push_java_text(&mut out, value);
    out
}

fn push_java_text(out: &mut String, value: &Json) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&n.to_string()),
        Json::String(s) => out.push_str(s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_java_text(out, item);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                push_java_text(out, item);
            }
            out.push('}');
        }
    }
}

/// Parses a map of named values: a request body's `variables`, `localVariables` or
/// `modifications`. A missing or `null` map gives no variables.
///
/// Each entry is a [`VariableValueDto`] object, with these cases taken from how Camunda
/// reads the bodies the original ProcOS Python worker sent (`procos-original/SPEC.md`
/// §2.1):
///
/// - an entry that is not an object (`"a": null`), or an object with neither `value` nor
///   `type` (a raw dict such as HTTP headers), is stored as `Null`;
/// - unknown keys are ignored, so a raw dict that happens to have a `type` key with an
///   unknown name is refused ("Unsupported value type 'x'").
///
/// The first failing entry's error carries its name in [`ValueError::variable`].
pub fn variables_from_dto(map: Option<&Map<String, Json>>) -> Result<Variables, ValueError> {
    let mut vars = Variables::new();
    let Some(map) = map else {
        return Ok(vars);
    };
    for (name, entry) in map {
        let (value, transient) = entry_value(entry).map_err(|e| e.for_variable(name))?;
        vars.set_with(name, value, transient);
    }
    Ok(vars)
}

fn entry_value(entry: &Json) -> Result<(Value, bool), ValueError> {
    let Json::Object(object) = entry else {
        return Ok((Value::Null, false));
    };
    if !object.contains_key("value") && !object.contains_key("type") {
        // Camunda sees an untyped null here; its `valueInfo`, if any, may still mark it
        // transient, and a malformed one in a raw dict is just more unknown data.
        let transient = object
            .get("valueInfo")
            .and_then(|i| i.get("transient"))
            .and_then(Json::as_bool)
            .unwrap_or(false);
        return Ok((Value::Null, transient));
    }
    let parts = DtoParts::of(object)?;
    convert(parts.value, parts.type_name.as_deref(), parts.value_info)
}

/// Writes one outgoing value (COMPAT §4.2): `{"type": …, "value": …, "valueInfo": {…}}`.
///
/// - `type` is capitalized (`String`, `Json`, …); `valueInfo` is `{}` except for `Object`
///   (`objectTypeName`, `serializationDataFormat`, each only when known) and `File`
///   (`filename`, and `mimeType`, `encoding` when known).
/// - `Date` is Camunda's REST format (`2013-01-23T13:42:42.000+0000`), `Bytes` base64,
///   `Json` and `Xml` always their serialized text (the JS client `JSON.parse`s a `json`
///   value, so it must stay a string).
/// - `File` never carries its content (`value` is `null`); clients fetch `…/data`.
/// - A non-finite `Double` is written as the strings `"NaN"`, `"Infinity"`,
///   `"-Infinity"`, as Jackson does by default.
/// - `deserialize` is the endpoint's `deserializeValues`: when true, an `Object` in
///   `application/json` format comes back as the parsed JSON tree (COMPAT's
///   recommendation). Camunda would first need the Java class on its classpath; procos
///   parses whatever JSON it holds and falls back to the text if it is not JSON.
///
/// Keys are written in Camunda's (Jackson's) order: `type`, `value`, `valueInfo`.
pub fn value_to_json(value: &Value, deserialize: bool) -> Json {
    let mut info = Map::new();
    let out = match value {
        Value::Null => Json::Null,
        Value::String(s) | Value::Json(s) | Value::Xml(s) => Json::String(s.clone()),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(n) => Json::from(*n),
        Value::Short(n) => Json::from(*n),
        Value::Long(n) => Json::from(*n),
        Value::Double(d) => double_json(*d),
        Value::Date(t) => Json::String(format_camunda(*t)),
        Value::Bytes(bytes) => Json::String(base64::encode(bytes)),
        Value::Object(object) => {
            if let Some(name) = &object.type_name {
                info.insert("objectTypeName".into(), Json::String(name.clone()));
            }
            if let Some(format) = &object.format {
                info.insert(
                    "serializationDataFormat".into(),
                    Json::String(format.clone()),
                );
            }
            let tree = (deserialize && object.format.as_deref() == Some(JSON_FORMAT))
                .then(|| serde_json::from_str::<Json>(&object.serialized).ok())
                .flatten();
            tree.unwrap_or_else(|| Json::String(object.serialized.clone()))
        }
        Value::File(file) => {
            info.insert("filename".into(), Json::String(file.filename.clone()));
            if let Some(mime) = &file.mime_type {
                info.insert("mimeType".into(), Json::String(mime.clone()));
            }
            if let Some(encoding) = &file.encoding {
                info.insert("encoding".into(), Json::String(encoding.clone()));
            }
            Json::Null
        }
    };
    let mut dto = Map::new();
    dto.insert("type".into(), Json::String(value.type_name().into()));
    dto.insert("value".into(), out);
    dto.insert("valueInfo".into(), Json::Object(info));
    Json::Object(dto)
}

fn double_json(d: f64) -> Json {
    match Number::from_f64(d) {
        Some(n) => Json::Number(n),
        // JSON has no NaN or infinity; Jackson quotes them (QUOTE_NON_NUMERIC_NUMBERS).
        None if d.is_nan() => Json::String("NaN".into()),
        None if d > 0.0 => Json::String("Infinity".into()),
        None => Json::String("-Infinity".into()),
    }
}

/// Writes named values as Camunda's variables map: `{name: {type, value, valueInfo}}`.
///
/// For a [`Variables`], pass `vars.iter().map(|v| (v.name.as_str(), &v.value))`.
pub fn variables_to_json<'a>(
    vars: impl IntoIterator<Item = (&'a str, &'a Value)>,
    deserialize: bool,
) -> Json {
    Json::Object(
        vars.into_iter()
            .map(|(name, value)| (name.to_owned(), value_to_json(value, deserialize)))
            .collect(),
    )
}

/// The operand of a variable filter written in a query string: the `value` of
/// `variables=name_op_value`, `processVariables=…`, `taskVariables=…` on `GET` list and
/// count endpoints.
///
/// What Camunda 7.23 does (read in `VariableListConverter`, `ConditionQueryParameterDto`,
/// `VariableQueryParameterDto` and the query DTOs' `applyFilters`): the converter splits
/// the parameter on `,` and `_` and keeps the value as a **Java String**; the query DTO then
/// calls `resolveValue`, which tries Jackson's date mapper on it
/// (`readValue("\"" + value + "\"", Date.class)`) and otherwise keeps the String. The
/// number branch of `VariableQueryParameterDto.resolveValue` only fires for JSON bodies.
/// The spec says the same: "Values are always treated as String objects on server side".
/// So, unlike an untyped JSON value, **no number or boolean is inferred** here:
/// `variables=amount_eq_5` matches the String `"5"` and not the Integer 5, in Camunda and
/// in procos.
///
/// - Text in Camunda's REST date format, `2013-01-23T13:42:42.000+0200`, is a `Date`.
///   Camunda's `SimpleDateFormat` is more lenient still (rolled-over fields, trailing
///   text, zone names); procos takes the exact format only. A `+` in a query string must
///   be sent as `%2B`, otherwise it arrives as a space and the text stays a String, in
///   Camunda too.
/// - `null` and empty text are `Null`: Jackson (2.12 and later) maps both to a null date,
///   and `resolveValue` returns that null (inferred from Jackson's code, not run).
/// - Anything else is a `String`, untrimmed.
pub fn filter_operand(text: &str) -> Value {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "null" {
        return Value::Null;
    }
    match rest_date(trimmed) {
        Some(t) => Value::Date(t),
        None => Value::String(text.to_owned()),
    }
}

/// The operand of a variable filter in a JSON body: `{"name", "operator", "value"}` in a
/// `POST` query (`POST /process-instance`, `POST /task`, …).
///
/// Camunda's `VariableQueryParameterDto.resolveValue` treats a string as
/// [`filter_operand`] does, and wraps any number in an untyped `NumberValue`, which the
/// engine compares **numerically against Short, Integer, Long and Double variables
/// alike**. procos returns the number as [`untyped_value`] types it; the query that uses it
/// must compare numbers across those types. Booleans stay booleans, `null` is `Null`.
pub fn filter_operand_json(value: &Json) -> Value {
    match value {
        Json::String(s) => filter_operand(s),
        other => untyped_value(other),
    }
}

/// Text in exactly Camunda's REST date format, `yyyy-MM-dd'T'HH:mm:ss.SSSZ`.
fn rest_date(text: &str) -> Option<Timestamp> {
    const SHAPE: &[u8; 28] = b"dddd-dd-ddTdd:dd:dd.ddd+dddd";
    let bytes = text.as_bytes();
    if bytes.len() != SHAPE.len() {
        return None;
    }
    let fits = bytes.iter().zip(SHAPE).all(|(&b, &s)| match s {
        b'd' => b.is_ascii_digit(),
        b'+' => b == b'+' || b == b'-',
        _ => b == s,
    });
    if !fits {
        return None;
    }
    parse_date_lenient(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// 2013-01-23T13:42:42.000Z
    const T: Timestamp = Timestamp(1_358_948_562_000);

    fn dto(json: Json) -> VariableValueDto {
        match serde_json::from_value(json.clone()) {
            Ok(dto) => dto,
            Err(e) => panic!("{json} should deserialize: {e}"),
        }
    }

    fn parse(json: Json) -> Value {
        parse_with_transient(json).0
    }

    fn parse_with_transient(json: Json) -> (Value, bool) {
        match value_from_dto(&dto(json.clone())) {
            Ok(v) => v,
            Err(e) => panic!("{json} should be accepted: {e}"),
        }
    }

    fn refuse(json: Json) -> ValueError {
        match value_from_dto(&dto(json.clone())) {
            Ok(v) => panic!("{json} should be refused, got {v:?}"),
            Err(e) => e,
        }
    }

    fn message(json: Json) -> String {
        refuse(json).message
    }

    fn vars(json: Json) -> Result<Variables, ValueError> {
        variables_from_dto(json.as_object())
    }

    // ---- input: untyped values (the Python clients) ----

    #[test]
    fn untyped_values_are_inferred_like_camunda() {
        assert_eq!(parse(json!({"value": "x"})), Value::from("x"));
        assert_eq!(parse(json!({"value": true})), Value::Boolean(true));
        assert_eq!(parse(json!({"value": 42})), Value::Integer(42));
        assert_eq!(parse(json!({"value": -7})), Value::Integer(-7));
        assert_eq!(parse(json!({"value": 4.5})), Value::Double(4.5));
        assert_eq!(parse(json!({"value": 5.0})), Value::Double(5.0));
        assert_eq!(parse(json!({"value": null})), Value::Null);
        assert_eq!(parse(json!({})), Value::Null);
    }

    #[test]
    fn untyped_integers_become_long_only_outside_32_bits() {
        assert_eq!(
            parse(json!({"value": 2_147_483_647})),
            Value::Integer(i32::MAX)
        );
        assert_eq!(
            parse(json!({"value": -2_147_483_648_i64})),
            Value::Integer(i32::MIN)
        );
        assert_eq!(
            parse(json!({"value": 2_147_483_648_i64})),
            Value::Long(2_147_483_648)
        );
        assert_eq!(
            parse(json!({"value": -2_147_483_649_i64})),
            Value::Long(-2_147_483_649)
        );
        assert_eq!(parse(json!({"value": i64::MAX})), Value::Long(i64::MAX));
        assert_eq!(
            parse(json!({"value": u64::MAX})),
            Value::Double(u64::MAX as f64)
        );
    }

    #[test]
    fn untyped_objects_and_arrays_are_stored_as_json_text() {
        assert_eq!(
            parse(json!({"value": {"a": 1, "b": [true, null]}})),
            Value::Json(r#"{"a":1,"b":[true,null]}"#.into())
        );
        assert_eq!(
            parse(json!({"value": [1, "x"]})),
            Value::Json(r#"[1,"x"]"#.into())
        );
    }

    #[test]
    fn pycamunda_sends_explicit_null_type_and_value_info() {
        assert_eq!(
            parse(json!({"value": 5, "type": null, "valueInfo": null})),
            Value::Integer(5)
        );
        assert_eq!(
            parse(json!({"value": null, "type": null, "valueInfo": null})),
            Value::Null
        );
    }

    #[test]
    fn unknown_keys_are_ignored() {
        assert_eq!(
            parse(json!({"value": "x", "type": "String", "extra": 1, "valueInfo": {"other": 2}})),
            Value::from("x")
        );
    }

    // ---- input: type names ----

    #[test]
    fn type_names_are_case_insensitive_in_the_first_letter_only() {
        assert_eq!(
            parse(json!({"type": "String", "value": "a"})),
            Value::from("a")
        );
        assert_eq!(
            parse(json!({"type": "string", "value": "a"})),
            Value::from("a")
        );
        assert_eq!(
            parse(json!({"type": "json", "value": "{}"})),
            Value::Json("{}".into())
        );
        assert_eq!(
            parse(json!({"type": "Json", "value": "{}"})),
            Value::Json("{}".into())
        );
        let e = refuse(json!({"type": "JSON", "value": "{}"}));
        assert_eq!(e.message, "Unsupported value type 'JSON'");
        assert_eq!(e.exception, "RestException");
        assert_eq!(e.variable, None);
        assert_eq!(
            message(json!({"type": "STRING", "value": "a"})),
            "Unsupported value type 'STRING'"
        );
    }

    #[test]
    fn unknown_types_are_unsupported() {
        assert_eq!(
            message(json!({"type": "Foo", "value": 1})),
            "Unsupported value type 'Foo'"
        );
        assert_eq!(
            message(json!({"type": "", "value": 1})),
            "Unsupported value type ''"
        );
        assert_eq!(
            message(json!({"type": "Number", "value": 1})),
            "Unsupported value type 'Number'"
        );
    }

    #[test]
    fn the_js_client_sends_lowercase_types() {
        assert_eq!(
            parse(json!({"type": "string", "value": "s"})),
            Value::from("s")
        );
        assert_eq!(
            parse(json!({"type": "integer", "value": 7})),
            Value::Integer(7)
        );
        assert_eq!(
            parse(json!({"type": "long", "value": 9_007_199_254_740_991_i64})),
            Value::Long(9_007_199_254_740_991)
        );
        assert_eq!(
            parse(json!({"type": "double", "value": 1.25})),
            Value::Double(1.25)
        );
        assert_eq!(
            parse(json!({"type": "boolean", "value": false})),
            Value::Boolean(false)
        );
        assert_eq!(
            parse(json!({"type": "json", "value": "{\"a\":1}"})),
            Value::Json("{\"a\":1}".into())
        );
        assert_eq!(
            parse(json!({"type": "date", "value": "2013-01-23T13:42:42.000+0000"})),
            Value::Date(T)
        );
        assert_eq!(parse(json!({"type": "null", "value": null})), Value::Null);
        assert_eq!(
            parse(json!({"type": "file", "value": "aGVsbG8=", "valueInfo": {
                "filename": "hello.txt", "mimetype": "text/plain", "encoding": "utf-8"}})),
            Value::File(FileValue {
                filename: "hello.txt".into(),
                mime_type: Some("text/plain".into()),
                encoding: Some("utf-8".into()),
                data: b"hello".to_vec(),
            })
        );
    }

    // ---- input: primitive types re-read like Jackson ----

    #[test]
    fn primitives_are_reread_from_text_like_jackson() {
        assert_eq!(
            parse(json!({"type": "Integer", "value": "42"})),
            Value::Integer(42)
        );
        assert_eq!(
            parse(json!({"type": "Integer", "value": " -42 "})),
            Value::Integer(-42)
        );
        assert_eq!(parse(json!({"type": "Long", "value": 5})), Value::Long(5));
        assert_eq!(parse(json!({"type": "Long", "value": "5"})), Value::Long(5));
        assert_eq!(
            parse(json!({"type": "Short", "value": "12"})),
            Value::Short(12)
        );
        assert_eq!(
            parse(json!({"type": "Double", "value": 5})),
            Value::Double(5.0)
        );
        assert_eq!(
            parse(json!({"type": "Double", "value": "4.5"})),
            Value::Double(4.5)
        );
        assert_eq!(
            parse(json!({"type": "Double", "value": "1e3"})),
            Value::Double(1000.0)
        );
        assert_eq!(
            parse(json!({"type": "String", "value": 5})),
            Value::from("5")
        );
        assert_eq!(
            parse(json!({"type": "String", "value": true})),
            Value::from("true")
        );
        assert_eq!(
            parse(json!({"type": "String", "value": ""})),
            Value::from("")
        );
    }

    #[test]
    fn integer_refuses_fractions_text_and_overflow() {
        assert_eq!(
            message(json!({"type": "Integer", "value": 4.5})),
            "Cannot convert value '4.5' of type 'Integer' to java type java.lang.Integer"
        );
        let e = refuse(json!({"type": "Integer", "value": "abc"}));
        assert_eq!(
            e.message,
            "Cannot convert value 'abc' of type 'Integer' to java type java.lang.Integer"
        );
        assert_eq!(e.exception, "InvalidRequestException");
        assert_eq!(
            message(json!({"type": "integer", "value": 2_147_483_648_i64})),
            "Cannot convert value '2147483648' of type 'integer' to java type java.lang.Integer"
        );
        assert_eq!(
            message(json!({"type": "Integer", "value": 5.0})),
            "Cannot convert value '5.0' of type 'Integer' to java type java.lang.Integer"
        );
        assert_eq!(
            message(json!({"type": "Integer", "value": true})),
            "Cannot convert value 'true' of type 'Integer' to java type java.lang.Integer"
        );
        assert_eq!(
            message(json!({"type": "Integer", "value": {"a": 1, "b": [1, 2]}})),
            "Cannot convert value '{a=1, b=[1, 2]}' of type 'Integer' to java type java.lang.Integer"
        );
    }

    #[test]
    fn short_is_range_checked() {
        assert_eq!(
            parse(json!({"type": "Short", "value": 32767})),
            Value::Short(i16::MAX)
        );
        assert_eq!(
            parse(json!({"type": "Short", "value": -32768})),
            Value::Short(i16::MIN)
        );
        assert_eq!(
            message(json!({"type": "Short", "value": 32768})),
            "Cannot convert value '32768' of type 'Short' to java type java.lang.Short"
        );
        assert_eq!(
            message(json!({"type": "short", "value": "-32769"})),
            "Cannot convert value '-32769' of type 'short' to java type java.lang.Short"
        );
    }

    #[test]
    fn long_takes_64_bits_and_no_more() {
        assert_eq!(
            parse(json!({"type": "Long", "value": i64::MIN})),
            Value::Long(i64::MIN)
        );
        assert_eq!(
            message(json!({"type": "Long", "value": u64::MAX})),
            "Cannot convert value '18446744073709551615' of type 'Long' to java type java.lang.Long"
        );
        assert_eq!(
            message(json!({"type": "Long", "value": 1.5})),
            "Cannot convert value '1.5' of type 'Long' to java type java.lang.Long"
        );
    }

    #[test]
    fn double_takes_java_spellings_only() {
        let nan = parse(json!({"type": "Double", "value": "NaN"}));
        assert!(matches!(nan, Value::Double(d) if d.is_nan()));
        assert_eq!(
            parse(json!({"type": "Double", "value": "-Infinity"})),
            Value::Double(f64::NEG_INFINITY)
        );
        assert_eq!(
            message(json!({"type": "Double", "value": "inf"})),
            "Cannot convert value 'inf' of type 'Double' to java type java.lang.Double"
        );
        assert_eq!(
            message(json!({"type": "Double", "value": "4,5"})),
            "Cannot convert value '4,5' of type 'Double' to java type java.lang.Double"
        );
    }

    #[test]
    fn boolean_takes_true_false_and_their_text() {
        assert_eq!(
            parse(json!({"type": "Boolean", "value": true})),
            Value::Boolean(true)
        );
        assert_eq!(
            parse(json!({"type": "Boolean", "value": "true"})),
            Value::Boolean(true)
        );
        assert_eq!(
            parse(json!({"type": "Boolean", "value": "TRUE"})),
            Value::Boolean(true)
        );
        assert_eq!(
            parse(json!({"type": "Boolean", "value": "false"})),
            Value::Boolean(false)
        );
        assert_eq!(
            message(json!({"type": "Boolean", "value": "yes"})),
            "Cannot convert value 'yes' of type 'Boolean' to java type java.lang.Boolean"
        );
        assert_eq!(
            message(json!({"type": "Boolean", "value": 1})),
            "Cannot convert value '1' of type 'Boolean' to java type java.lang.Boolean"
        );
    }

    #[test]
    fn dates_are_read_leniently() {
        for text in [
            "2013-01-23T13:42:42.000+0000",
            "2013-01-23T15:42:42.000+0200",
            "2013-01-23T15:42:42.000+02:00",
            "2013-01-23T13:42:42Z",
            "2013-01-23T13:42:42.000Z",
        ] {
            assert_eq!(
                parse(json!({"type": "Date", "value": text})),
                Value::Date(T),
                "{text}"
            );
        }
        assert_eq!(
            message(json!({"type": "Date", "value": "tomorrow"})),
            "Cannot convert value 'tomorrow' of type 'Date' to java type java.util.Date"
        );
        // Camunda's SimpleDateFormat reads no epoch milliseconds.
        assert_eq!(
            message(json!({"type": "Date", "value": 1_358_948_562_000_i64})),
            "Cannot convert value '1358948562000' of type 'Date' to java type java.util.Date"
        );
    }

    #[test]
    fn bytes_are_base64() {
        assert_eq!(
            parse(json!({"type": "Bytes", "value": "aGVsbG8="})),
            Value::Bytes(b"hello".to_vec())
        );
        assert_eq!(
            parse(json!({"type": "Bytes", "value": ""})),
            Value::Bytes(Vec::new())
        );
        assert_eq!(
            message(json!({"type": "Bytes", "value": "a*b"})),
            "Cannot convert value 'a*b' of type 'Bytes' to java type [B"
        );
        assert_eq!(
            message(json!({"type": "Bytes", "value": [1, 2]})),
            "Cannot convert value '[1, 2]' of type 'Bytes' to java type [B"
        );
    }

    #[test]
    fn null_type_ignores_the_value() {
        assert_eq!(
            parse(json!({"type": "Null", "value": "ignored"})),
            Value::Null
        );
        assert_eq!(parse(json!({"type": "Null"})), Value::Null);
    }

    #[test]
    fn typed_nulls_and_empty_text_are_null() {
        assert_eq!(parse(json!({"type": "String", "value": null})), Value::Null);
        assert_eq!(parse(json!({"type": "Integer"})), Value::Null);
        assert_eq!(parse(json!({"type": "Integer", "value": ""})), Value::Null);
        assert_eq!(
            parse(json!({"type": "Boolean", "value": "null"})),
            Value::Null
        );
        assert_eq!(parse(json!({"type": "Date", "value": ""})), Value::Null);
        assert_eq!(parse(json!({"type": "Object", "value": null})), Value::Null);
        assert_eq!(parse(json!({"type": "Json", "value": null})), Value::Null);
    }

    // ---- input: Object, Json, Xml ----

    #[test]
    fn object_json_and_xml_need_a_string() {
        assert_eq!(
            message(json!({"type": "Object", "value": 5})),
            "Must provide 'null' or String value for value of SerializableValue type 'Object'."
        );
        let e = refuse(json!({"type": "json", "value": {"a": 1}}));
        assert_eq!(
            e.message,
            "Must provide 'null' or String value for value of SerializableValue type 'json'."
        );
        assert_eq!(e.exception, "InvalidRequestException");
        assert_eq!(
            parse(json!({"type": "Xml", "value": "<a/>"})),
            Value::Xml("<a/>".into())
        );
    }

    #[test]
    fn object_keeps_its_type_name_and_format() {
        assert_eq!(
            parse(
                json!({"type": "Object", "value": "{\"a\":1}", "valueInfo": {
                "objectTypeName": "java.util.HashMap",
                "serializationDataFormat": "application/json"}})
            ),
            Value::json_object("java.util.HashMap", &json!({"a": 1}))
        );
        assert_eq!(
            parse(json!({"type": "Object", "value": "rO0AB"})),
            Value::Object(ObjectValue {
                type_name: None,
                format: None,
                serialized: "rO0AB".into()
            })
        );
        assert_eq!(
            message(json!({"type": "Object", "value": "x", "valueInfo": {"objectTypeName": 5}})),
            "The value info property 'objectTypeName' must be a string"
        );
    }

    // ---- input: File ----

    #[test]
    fn file_takes_mime_type_in_either_spelling() {
        let file = |info: Json| match parse(json!({"type": "File", "value": "", "valueInfo": info}))
        {
            Value::File(f) => f,
            other => panic!("expected a file, got {other:?}"),
        };
        let camel = file(json!({"filename": "a.pdf", "mimeType": "application/pdf"}));
        assert_eq!(camel.mime_type.as_deref(), Some("application/pdf"));
        assert_eq!(camel.encoding, None);
        assert!(camel.data.is_empty());
        let lower = file(json!({"filename": "a.pdf", "mimetype": "application/pdf"}));
        assert_eq!(lower.mime_type.as_deref(), Some("application/pdf"));
        let bare = file(json!({"filename": "a.pdf"}));
        assert_eq!((bare.filename.as_str(), bare.mime_type), ("a.pdf", None));
    }

    #[test]
    fn file_refusals_use_camundas_messages() {
        assert_eq!(
            message(json!({"type": "File", "value": "aGVsbG8=", "valueInfo": {"mimeType": "text/plain"}})),
            "Cannot create file without filename! Please set a name into ValueInfo with key filename"
        );
        assert_eq!(
            message(json!({"type": "File", "value": "aGVsbG8="})),
            "Cannot create file without valueInfo."
        );
        assert_eq!(
            message(json!({"type": "File", "value": null, "valueInfo": {"filename": "a"}})),
            "Provided value is not of File, InputStream or byte[] type."
        );
        assert_eq!(
            message(json!({"type": "File", "value": "**", "valueInfo": {"filename": "a"}})),
            "Cannot read the content of file 'a': invalid base64 at position 0"
        );
    }

    // ---- input: transient ----

    #[test]
    fn transient_is_honoured_for_every_type() {
        let info = json!({"transient": true});
        for (ty, value) in [
            (Json::Null, json!("x")),
            (json!("String"), json!("x")),
            (json!("integer"), json!(1)),
            (json!("Json"), json!("{}")),
            (json!("Object"), json!("{}")),
            (json!("Null"), Json::Null),
        ] {
            let (_, transient) =
                parse_with_transient(json!({"type": ty, "value": value, "valueInfo": info}));
            assert!(transient, "{ty}");
        }
        let (_, transient) = parse_with_transient(json!({"type": "file", "value": "",
            "valueInfo": {"filename": "f", "transient": true}}));
        assert!(transient);
        let (_, transient) =
            parse_with_transient(json!({"value": 1, "valueInfo": {"transient": false}}));
        assert!(!transient);
        let (_, transient) = parse_with_transient(json!({"value": 1}));
        assert!(!transient);
    }

    #[test]
    fn a_non_boolean_transient_is_refused_when_typed_and_ignored_when_untyped() {
        assert_eq!(
            message(json!({"type": "String", "value": "x", "valueInfo": {"transient": "yes"}})),
            "The property 'transient' should have a value of type 'boolean'."
        );
        assert_eq!(
            parse_with_transient(json!({"value": "x", "valueInfo": {"transient": "yes"}})),
            (Value::from("x"), false)
        );
        assert_eq!(
            parse_with_transient(
                json!({"type": "String", "value": "x", "valueInfo": {"transient": null}})
            ),
            (Value::from("x"), false)
        );
    }

    // ---- input: maps of variables ----

    #[test]
    fn a_missing_or_null_map_is_no_variables() {
        assert_eq!(variables_from_dto(None), Ok(Variables::new()));
        assert_eq!(vars(Json::Null), Ok(Variables::new()));
        assert_eq!(vars(json!({})), Ok(Variables::new()));
    }

    #[test]
    fn a_map_reads_every_shape_the_clients_send() {
        let parsed = vars(json!({
            "js": {"type": "integer", "value": 1, "valueInfo": {}},
            "py3": {"value": "text"},
            "pycamunda": {"value": 2.5, "type": null, "valueInfo": null},
            "temp": {"type": "String", "value": "t", "valueInfo": {"transient": true}},
            "headers": {"Date": "Mon", "Server": "nginx"},
            "raw": 5,
            "nothing": null,
        }));
        let parsed = match parsed {
            Ok(v) => v,
            Err(e) => panic!("should parse: {e}"),
        };
        assert_eq!(parsed.len(), 7);
        assert_eq!(parsed.get("js"), Some(&Value::Integer(1)));
        assert_eq!(parsed.get("py3"), Some(&Value::from("text")));
        assert_eq!(parsed.get("pycamunda"), Some(&Value::Double(2.5)));
        assert_eq!(parsed.get("headers"), Some(&Value::Null));
        assert_eq!(parsed.get("raw"), Some(&Value::Null));
        assert_eq!(parsed.get("nothing"), Some(&Value::Null));
        let transient: Vec<_> = parsed
            .iter()
            .filter(|v| v.transient)
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(transient, ["temp"]);
    }

    #[test]
    fn a_refused_entry_names_its_variable() {
        let e = match vars(
            json!({"ok": {"value": 1}, "amount": {"type": "Integer", "value": "abc"}}),
        ) {
            Ok(v) => panic!("should be refused, got {v:?}"),
            Err(e) => e,
        };
        assert_eq!(e.variable.as_deref(), Some("amount"));
        assert_eq!(
            e.to_string(),
            "Cannot convert value 'abc' of type 'Integer' to java type java.lang.Integer"
        );
        // A raw dict from the original worker with a `type` key of its own.
        let e = match vars(json!({"person": {"type": "employee", "name": "x"}})) {
            Ok(v) => panic!("should be refused, got {v:?}"),
            Err(e) => e,
        };
        assert_eq!(e.to_string(), "Unsupported value type 'employee'");
        assert_eq!(e.variable.as_deref(), Some("person"));
    }

    #[test]
    fn from_object_reads_what_serde_reads() {
        let body = json!({"value": 1, "type": "Integer", "valueInfo": {"transient": true}, "x": 2});
        let read = body.as_object().map(VariableValueDto::from_object);
        assert_eq!(read, Some(Ok(dto(body))));
        let empty = Map::new();
        assert_eq!(
            VariableValueDto::from_object(&empty),
            Ok(VariableValueDto::default())
        );
    }

    #[test]
    fn malformed_type_or_value_info_is_refused() {
        let obj = json!({"value": 1, "type": ["String"]});
        let e = obj
            .as_object()
            .map(VariableValueDto::from_object)
            .and_then(Result::err);
        assert!(e.is_some_and(|e| e.message.contains("'type'")));
        assert!(vars(json!({"a": {"value": 1, "valueInfo": "x"}})).is_err());
        // A scalar type is taken as its text, as Jackson coerces it.
        assert_eq!(
            vars(json!({"a": {"value": 1, "type": 5}})).map_err(|e| e.message),
            Err("Unsupported value type '5'".to_owned())
        );
    }

    // ---- output ----

    #[test]
    fn every_type_is_written_like_camunda() {
        let cases = [
            (
                Value::Null,
                json!({"type": "Null", "value": null, "valueInfo": {}}),
            ),
            (
                Value::from("s"),
                json!({"type": "String", "value": "s", "valueInfo": {}}),
            ),
            (
                Value::Boolean(true),
                json!({"type": "Boolean", "value": true, "valueInfo": {}}),
            ),
            (
                Value::Integer(-1),
                json!({"type": "Integer", "value": -1, "valueInfo": {}}),
            ),
            (
                Value::Short(7),
                json!({"type": "Short", "value": 7, "valueInfo": {}}),
            ),
            (
                Value::Long(1 << 40),
                json!({"type": "Long", "value": 1_i64 << 40, "valueInfo": {}}),
            ),
            (
                Value::Double(0.5),
                json!({"type": "Double", "value": 0.5, "valueInfo": {}}),
            ),
            (
                Value::Date(T),
                json!({"type": "Date", "value": "2013-01-23T13:42:42.000+0000", "valueInfo": {}}),
            ),
            (
                Value::Bytes(b"hello".to_vec()),
                json!({"type": "Bytes", "value": "aGVsbG8=", "valueInfo": {}}),
            ),
            (
                Value::Json("{\"a\":1}".into()),
                json!({"type": "Json", "value": "{\"a\":1}", "valueInfo": {}}),
            ),
            (
                Value::Xml("<a/>".into()),
                json!({"type": "Xml", "value": "<a/>", "valueInfo": {}}),
            ),
            (
                Value::json_object("java.util.HashMap", &json!({"a": 1})),
                json!({"type": "Object", "value": "{\"a\":1}", "valueInfo": {
                    "objectTypeName": "java.util.HashMap",
                    "serializationDataFormat": "application/json"}}),
            ),
            (
                Value::File(FileValue {
                    filename: "a.txt".into(),
                    mime_type: Some("text/plain".into()),
                    encoding: Some("UTF-8".into()),
                    data: b"content".to_vec(),
                }),
                json!({"type": "File", "value": null, "valueInfo": {
                    "filename": "a.txt", "mimeType": "text/plain", "encoding": "UTF-8"}}),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(value_to_json(&value, false), expected, "{value:?}");
        }
    }

    #[test]
    fn dates_are_written_exactly_in_the_rest_format() {
        assert_eq!(
            value_to_json(&Value::Date(T), true)["value"],
            "2013-01-23T13:42:42.000+0000"
        );
        assert_eq!(
            value_to_json(&Value::Date(Timestamp(T.0 + 7)), true)["value"],
            "2013-01-23T13:42:42.007+0000"
        );
    }

    #[test]
    fn keys_come_in_jacksons_order() {
        let text = value_to_json(&Value::Integer(1), false).to_string();
        assert_eq!(text, r#"{"type":"Integer","value":1,"valueInfo":{}}"#);
    }

    #[test]
    fn files_never_carry_their_content_and_omit_unknown_info() {
        let file = Value::File(FileValue {
            filename: "a.bin".into(),
            mime_type: None,
            encoding: None,
            data: vec![1, 2, 3],
        });
        for deserialize in [false, true] {
            assert_eq!(
                value_to_json(&file, deserialize),
                json!({"type": "File", "value": null, "valueInfo": {"filename": "a.bin"}})
            );
        }
    }

    #[test]
    fn deserialize_values_turns_json_objects_into_trees() {
        let map = Value::json_object("java.util.HashMap", &json!({"a": [1, 2]}));
        assert_eq!(value_to_json(&map, false)["value"], "{\"a\":[1,2]}");
        assert_eq!(value_to_json(&map, true)["value"], json!({"a": [1, 2]}));
        assert_eq!(
            value_to_json(&map, true)["valueInfo"]["objectTypeName"],
            "java.util.HashMap"
        );
    }

    #[test]
    fn deserialize_values_leaves_other_formats_and_spin_values_as_text() {
        let java = Value::Object(ObjectValue {
            type_name: Some("com.example.Order".into()),
            format: Some("application/x-java-serialized-object".into()),
            serialized: "rO0ABXQ=".into(),
        });
        assert_eq!(value_to_json(&java, true)["value"], "rO0ABXQ=");
        let broken = Value::Object(ObjectValue {
            type_name: None,
            format: Some(JSON_FORMAT.into()),
            serialized: "{not json".into(),
        });
        assert_eq!(
            value_to_json(&broken, true),
            json!({"type": "Object", "value": "{not json",
                "valueInfo": {"serializationDataFormat": "application/json"}})
        );
        assert_eq!(
            value_to_json(&Value::Json("[1]".into()), true)["value"],
            "[1]"
        );
        assert_eq!(
            value_to_json(&Value::Xml("<a/>".into()), true)["value"],
            "<a/>"
        );
    }

    #[test]
    fn non_finite_doubles_are_quoted_as_jackson_does() {
        assert_eq!(
            value_to_json(&Value::Double(f64::NAN), false)["value"],
            "NaN"
        );
        assert_eq!(
            value_to_json(&Value::Double(f64::INFINITY), false)["value"],
            "Infinity"
        );
        assert_eq!(
            value_to_json(&Value::Double(f64::NEG_INFINITY), false)["value"],
            "-Infinity"
        );
    }

    #[test]
    fn variables_are_written_as_a_map_by_name() {
        let mut v = Variables::new();
        v.set("b", Value::Boolean(false));
        v.set("a", Value::from("x"));
        assert_eq!(
            variables_to_json(v.iter().map(|v| (v.name.as_str(), &v.value)), false),
            json!({
                "a": {"type": "String", "value": "x", "valueInfo": {}},
                "b": {"type": "Boolean", "value": false, "valueInfo": {}},
            })
        );
        assert_eq!(variables_to_json(std::iter::empty(), true), json!({}));
    }

    #[test]
    fn what_goes_out_comes_back_in_unchanged() {
        let values = [
            Value::Null,
            Value::from("s"),
            Value::Boolean(false),
            Value::Integer(i32::MIN),
            Value::Short(i16::MAX),
            Value::Long(i64::MAX),
            Value::Double(-0.125),
            Value::Double(f64::INFINITY),
            Value::Date(T),
            Value::Date(Timestamp(-1)),
            Value::Bytes(vec![0, 255, 7]),
            Value::Json("{\"a\":1}".into()),
            Value::Xml("<a/>".into()),
            Value::json_object("java.util.ArrayList", &json!([1])),
        ];
        for value in values {
            assert_eq!(parse(value_to_json(&value, false)), value);
        }
    }

    // ---- query filter operands ----

    #[test]
    fn query_string_operands_stay_strings() {
        assert_eq!(filter_operand("5"), Value::from("5"));
        assert_eq!(filter_operand("4.5"), Value::from("4.5"));
        assert_eq!(filter_operand("true"), Value::from("true"));
        assert_eq!(filter_operand("abc%"), Value::from("abc%"));
        assert_eq!(filter_operand(" x "), Value::from(" x "));
    }

    #[test]
    fn query_string_operands_in_the_rest_date_format_are_dates() {
        assert_eq!(
            filter_operand("2013-01-23T15:42:42.000+0200"),
            Value::Date(T)
        );
        assert_eq!(
            filter_operand("2013-01-23T08:42:42.000-0500"),
            Value::Date(T)
        );
        // Other date shapes, and a '+' decoded to a space, are compared as text.
        for text in [
            "2013-01-23",
            "2013-01-23T13:42:42Z",
            "2013-01-23T13:42:42.000+02:00",
            "2013-01-23T13:42:42.000 0200",
            "2013-13-23T13:42:42.000+0000",
        ] {
            assert_eq!(filter_operand(text), Value::from(text), "{text}");
        }
    }

    #[test]
    fn query_string_null_is_null() {
        assert_eq!(filter_operand("null"), Value::Null);
        assert_eq!(filter_operand(""), Value::Null);
        assert_eq!(filter_operand("Null"), Value::from("Null"));
    }

    #[test]
    fn json_body_operands_keep_their_json_type() {
        assert_eq!(filter_operand_json(&json!(5)), Value::Integer(5));
        assert_eq!(
            filter_operand_json(&json!(5_000_000_000_i64)),
            Value::Long(5_000_000_000)
        );
        assert_eq!(filter_operand_json(&json!(2.5)), Value::Double(2.5));
        assert_eq!(filter_operand_json(&json!(true)), Value::Boolean(true));
        assert_eq!(filter_operand_json(&Json::Null), Value::Null);
        assert_eq!(filter_operand_json(&json!("5")), Value::from("5"));
        assert_eq!(
            filter_operand_json(&json!("2013-01-23T13:42:42.000+0000")),
            Value::Date(T)
        );
        // fetchAndLock's processVariables: the raw value, no date reading.
        assert_eq!(
            untyped_value(&json!("2013-01-23T13:42:42.000+0000")),
            Value::from("2013-01-23T13:42:42.000+0000")
        );
    }
}
