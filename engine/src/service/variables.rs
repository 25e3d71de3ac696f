//! Variables between the engine's typed values and the store's flat columns.
//!
//! Numbers are stored in both `long_value` and `double_value`, so that a query compares
//! an Integer variable with a Long or Double operand as Camunda does.

use serde_json::json;

use crate::store::VariableRow;
use crate::time::Timestamp;
use crate::value::{FileValue, ObjectValue, Value};

/// A value as the store's columns: (type, text, long, double, bytes, info).
pub type Columns = (
    &'static str,
    Option<String>,
    Option<i64>,
    Option<f64>,
    Option<Vec<u8>>,
    Option<String>,
);

/// The columns of `value`.
pub fn flatten(value: &Value) -> Columns {
    let ty = value.type_name();
    match value {
        Value::Null => (ty, None, None, None, None, None),
        Value::String(s) | Value::Json(s) | Value::Xml(s) => {
            (ty, Some(s.clone()), None, None, None, None)
        }
        Value::Boolean(b) => (ty, None, Some(i64::from(*b)), None, None, None),
        Value::Integer(n) => (
            ty,
            None,
            Some(i64::from(*n)),
            Some(f64::from(*n)),
            None,
            None,
        ),
        Value::Short(n) => (
            ty,
            None,
            Some(i64::from(*n)),
            Some(f64::from(*n)),
            None,
            None,
        ),
        Value::Long(n) => (ty, None, Some(*n), Some(*n as f64), None, None),
        Value::Double(d) => (ty, None, None, Some(*d), None, None),
        Value::Date(t) => (ty, None, Some(t.0), None, None, None),
        Value::Bytes(b) => (ty, None, None, None, Some(b.clone()), None),
        Value::Object(o) => (
            ty,
            Some(o.serialized.clone()),
            None,
            None,
            None,
            Some(
                json!({"objectTypeName": o.type_name, "serializationDataFormat": o.format})
                    .to_string(),
            ),
        ),
        Value::File(f) => (
            ty,
            None,
            None,
            None,
            Some(f.data.clone()),
            Some(
                json!({"filename": f.filename, "mimeType": f.mime_type, "encoding": f.encoding})
                    .to_string(),
            ),
        ),
    }
}

/// A variable row for `value`.
pub fn row(
    id: String,
    instance_id: &str,
    scope_id: &str,
    name: &str,
    value: &Value,
) -> VariableRow {
    let (ty, text, long, double, bytes, info) = flatten(value);
    VariableRow {
        id,
        instance_id: instance_id.to_owned(),
        scope_id: scope_id.to_owned(),
        name: name.to_owned(),
        type_name: ty.to_owned(),
        text_value: text,
        long_value: long,
        double_value: double,
        bytes_value: bytes,
        info,
    }
}

/// The typed value a row holds. Unknown types read as their text, so a row written by
/// a newer version never breaks a read.
pub fn value_of(row: &VariableRow) -> Value {
    let info: serde_json::Value = row
        .info
        .as_deref()
        .and_then(|i| serde_json::from_str(i).ok())
        .unwrap_or(serde_json::Value::Null);
    let info_str = |k: &str| info.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let text = || row.text_value.clone().unwrap_or_default();
    match row.type_name.as_str() {
        "Null" => Value::Null,
        "String" => Value::String(text()),
        "Json" => Value::Json(text()),
        "Xml" => Value::Xml(text()),
        "Boolean" => Value::Boolean(row.long_value.unwrap_or(0) != 0),
        "Integer" => Value::Integer(
            row.long_value
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or(0),
        ),
        "Short" => Value::Short(
            row.long_value
                .and_then(|n| i16::try_from(n).ok())
                .unwrap_or(0),
        ),
        "Long" => Value::Long(row.long_value.unwrap_or(0)),
        "Double" => Value::Double(row.double_value.unwrap_or(0.0)),
        "Date" => Value::Date(Timestamp(row.long_value.unwrap_or(0))),
        "Bytes" => Value::Bytes(row.bytes_value.clone().unwrap_or_default()),
        "Object" => Value::Object(ObjectValue {
            type_name: info_str("objectTypeName"),
            format: info_str("serializationDataFormat"),
            serialized: text(),
        }),
        "File" => Value::File(FileValue {
            filename: info_str("filename").unwrap_or_default(),
            mime_type: info_str("mimeType"),
            encoding: info_str("encoding"),
            data: row.bytes_value.clone().unwrap_or_default(),
        }),
        _ => Value::String(text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_survives_the_store_columns() {
        let values = [
            Value::Null,
            Value::from("text"),
            Value::Boolean(true),
            Value::Integer(-7),
            Value::Short(12),
            Value::Long(1 << 40),
            Value::Double(2.5),
            Value::Date(Timestamp(1_700_000_000_123)),
            Value::Bytes(vec![0, 1, 255]),
            Value::Json("{\"a\":1}".to_owned()),
            Value::Xml("<a/>".to_owned()),
            Value::Object(ObjectValue {
                type_name: Some("java.util.HashMap".to_owned()),
                format: Some("application/json".to_owned()),
                serialized: "{}".to_owned(),
            }),
            Value::File(FileValue {
                filename: "a.txt".to_owned(),
                mime_type: Some("text/plain".to_owned()),
                encoding: None,
                data: b"hi".to_vec(),
            }),
        ];
        for v in values {
            let r = row("id".to_owned(), "i", "s", "n", &v);
            assert_eq!(value_of(&r), v);
        }
    }
}
