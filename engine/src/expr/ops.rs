//! EL's operators, following JUEL's `NumberOperations` and `BooleanOperations`: the
//! operand types pick the arithmetic (Double beats Long), and comparisons coerce in the
//! order Double, Long, Boolean, String. None of this allocates for numbers or booleans.

use std::cmp::Ordering;

use crate::value::Value;

use super::ast::{ArithOp, CmpOp};
use super::error::Fault;
use super::json;
use super::value::{is_float_like, is_json_format, to_bool, to_double, to_long, ElValue};

/// `a op b` for `+ - * / %`.
///
/// `/` always divides as Double (`3/5` is `0.6`, `1/0` is Infinity); `+ - * %` work in
/// Double when either side is a Double or a String that looks floating, else in Long
/// with Java's wrap-around. `null op null` is 0.
pub(crate) fn arith(op: ArithOp, a: &ElValue, b: &ElValue) -> Result<ElValue, Fault> {
    if a.is_null() && b.is_null() {
        return Ok(ElValue::Long(0));
    }
    if op == ArithOp::Div {
        return Ok(ElValue::Double(to_double(a)? / to_double(b)?));
    }
    if is_float_like(a) || is_float_like(b) {
        let (x, y) = (to_double(a)?, to_double(b)?);
        return Ok(ElValue::Double(match op {
            ArithOp::Add => x + y,
            ArithOp::Sub => x - y,
            ArithOp::Mul => x * y,
            ArithOp::Div => x / y,
            // Java's % on doubles is fmod, like Rust's.
            ArithOp::Mod => x % y,
        }));
    }
    let (x, y) = (to_long(a)?, to_long(b)?);
    Ok(ElValue::Long(match op {
        ArithOp::Add => x.wrapping_add(y),
        ArithOp::Sub => x.wrapping_sub(y),
        ArithOp::Mul => x.wrapping_mul(y),
        ArithOp::Div => return Ok(ElValue::Double(x as f64 / y as f64)),
        ArithOp::Mod => {
            if y == 0 {
                return Err(Fault::arithmetic("/ by zero".to_owned()));
            }
            x.wrapping_rem(y)
        }
    }))
}

/// Unary minus keeps the operand's type (`-x` of an Integer is an Integer); strings
/// negate as Double or Long depending on how they look; null is 0.
pub(crate) fn neg(v: &ElValue) -> Result<ElValue, Fault> {
    Ok(match v {
        ElValue::Null => ElValue::Long(0),
        ElValue::Double(d) => ElValue::Double(-d),
        ElValue::Long(n) => ElValue::Long(n.wrapping_neg()),
        ElValue::Int(n) => ElValue::Int(n.wrapping_neg()),
        ElValue::Short(n) => ElValue::Short(n.wrapping_neg()),
        ElValue::String(_) if is_float_like(v) => ElValue::Double(-to_double(v)?),
        ElValue::String(_) => ElValue::Long(to_long(v)?.wrapping_neg()),
        other => {
            return Err(Fault::coercion(format!(
                "Cannot negate 'class {}'",
                other.java_class_name()
            )))
        }
    })
}

/// `empty x`: null, `""`, and empty lists and maps are empty; anything else is not.
pub(crate) fn empty(v: &ElValue) -> bool {
    match v {
        ElValue::Null => true,
        ElValue::String(s) => s.is_empty(),
        ElValue::List(items) => items.is_empty(),
        ElValue::Map(entries) => entries.is_empty(),
        // A JSON-serialized Java collection is a collection once deserialized.
        ElValue::Typed(Value::Object(o)) if is_json_format(o.format.as_deref()) => {
            match json::parse(&o.serialized) {
                Ok(serde_json::Value::Array(a)) => a.is_empty(),
                Ok(serde_json::Value::Object(m)) => m.is_empty(),
                _ => false,
            }
        }
        _ => false,
    }
}

/// A comparison operator.
pub(crate) fn compare(op: CmpOp, a: &ElValue, b: &ElValue) -> Result<bool, Fault> {
    match op {
        CmpOp::Eq => eq(a, b),
        CmpOp::Ne => eq(a, b).map(|e| !e),
        // `null <= null` is true because JUEL first checks `o1 == o2`; any other
        // comparison with null is false.
        CmpOp::Lt | CmpOp::Gt if a.is_null() || b.is_null() => Ok(false),
        CmpOp::Le | CmpOp::Ge if a.is_null() && b.is_null() => Ok(true),
        CmpOp::Le | CmpOp::Ge if a.is_null() || b.is_null() => Ok(false),
        CmpOp::Lt => lt(a, b),
        CmpOp::Gt => gt(a, b),
        // JUEL defines `>=` as `!<` and `<=` as `!>`, which matters for NaN.
        CmpOp::Ge => lt(a, b).map(|r| !r),
        CmpOp::Le => gt(a, b).map(|r| !r),
    }
}

fn lt(a: &ElValue, b: &ElValue) -> Result<bool, Fault> {
    if a.is_float() || b.is_float() {
        return Ok(to_double(a)? < to_double(b)?);
    }
    if a.is_integer() || b.is_integer() {
        return Ok(to_long(a)? < to_long(b)?);
    }
    if is_string(a) || is_string(b) {
        return Ok(java_compare(&a.coerce_to_string(), &b.coerce_to_string()) < 0);
    }
    comparable(a, b).map(Ordering::is_lt)
}

fn gt(a: &ElValue, b: &ElValue) -> Result<bool, Fault> {
    if a.is_float() || b.is_float() {
        return Ok(to_double(a)? > to_double(b)?);
    }
    if a.is_integer() || b.is_integer() {
        return Ok(to_long(a)? > to_long(b)?);
    }
    if is_string(a) || is_string(b) {
        return Ok(java_compare(&a.coerce_to_string(), &b.coerce_to_string()) > 0);
    }
    comparable(a, b).map(Ordering::is_gt)
}

fn is_string(v: &ElValue) -> bool {
    matches!(v, ElValue::String(_))
}

/// `Comparable.compareTo` for the remaining types: booleans, and dates (a Joda
/// DateTime compares with a Date by instant, which Java would refuse; it is harmless).
fn comparable(a: &ElValue, b: &ElValue) -> Result<Ordering, Fault> {
    match (a, b) {
        (ElValue::Bool(x), ElValue::Bool(y)) => Ok(x.cmp(y)),
        (ElValue::Date(x) | ElValue::DateTime(x), ElValue::Date(y) | ElValue::DateTime(y)) => {
            Ok(x.cmp(y))
        }
        _ => Err(Fault::failed(format!(
            "Cannot compare 'class {}' and 'class {}'",
            a.java_class_name(),
            b.java_class_name()
        ))),
    }
}

/// EL's `==`: null equals only null; otherwise both sides are coerced to Double if
/// either is a Double, to Long if either is an integer, to Boolean if either is a
/// Boolean, to String if either is a String, and compared with `equals` otherwise.
pub(crate) fn eq(a: &ElValue, b: &ElValue) -> Result<bool, Fault> {
    match (a.is_null(), b.is_null()) {
        (true, true) => return Ok(true),
        (true, false) | (false, true) => return Ok(false),
        _ => {}
    }
    if a.is_float() || b.is_float() {
        return Ok(double_equals(to_double(a)?, to_double(b)?));
    }
    if a.is_integer() || b.is_integer() {
        return Ok(to_long(a)? == to_long(b)?);
    }
    if matches!(a, ElValue::Bool(_)) || matches!(b, ElValue::Bool(_)) {
        return Ok(to_bool(a)? == to_bool(b)?);
    }
    if is_string(a) || is_string(b) {
        return Ok(a.coerce_to_string() == b.coerce_to_string());
    }
    Ok(java_equals(a, b))
}

/// `Double.equals`: NaN equals NaN, but 0.0 does not equal -0.0.
fn double_equals(x: f64, y: f64) -> bool {
    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
}

/// Java's `Object.equals`: same type and same value (`Integer 5` is not `Long 5`).
pub(crate) fn java_equals(a: &ElValue, b: &ElValue) -> bool {
    match (a, b) {
        (ElValue::Double(x), ElValue::Double(y)) => double_equals(*x, *y),
        (ElValue::List(x), ElValue::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| java_equals(p, q))
        }
        (ElValue::Map(x), ElValue::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .find(|(k2, _)| k2 == k)
                        .is_some_and(|(_, v2)| java_equals(v, v2))
                })
        }
        _ => a == b,
    }
}

/// `String.compareTo`: the difference of the first differing UTF-16 code units, else of
/// the lengths.
pub(crate) fn java_compare(a: &str, b: &str) -> i32 {
    let mut x = a.encode_utf16();
    let mut y = b.encode_utf16();
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) if p != q => return i32::from(p) - i32::from(q),
            (Some(_), Some(_)) => {}
            (None, None) => return 0,
            (Some(_), None) => return 1 + x.count() as i32,
            (None, Some(_)) => return -(1 + y.count() as i32),
        }
    }
}
