//! The Java methods expressions may call, resolved by name at parse time and dispatched
//! on the runtime type of the target.
//!
//! JUEL calls methods reflectively on whatever Java object it holds; procos models the
//! handful of classes process variables really are (String, Long, Date, List, Map, Joda
//! DateTime, Spin JSON nodes, the engine beans) and the methods real processes call on
//! them. A method is found by name and argument count, as Java's overload resolution
//! would; anything else is "Cannot find method".

use std::borrow::Cow;

use crate::time::Timestamp;
use crate::value::Value;

use super::ast::Accessor;
use super::datetime::{self, Field, Unit};
use super::error::Fault;
use super::json;
use super::ops::{java_compare, java_equals};
use super::value::{
    is_json_format, to_bool, to_double, to_int, to_long, write_java, Bean, ElValue,
};
use super::Context;

/// A method name procos knows. The same name may mean different things on different
/// types (`get` on a List and on a Map); dispatch decides by the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    // java.lang.Object and Comparable
    Equals,
    ToString,
    CompareTo,
    // java.lang.String
    EqualsIgnoreCase,
    Contains,
    StartsWith,
    EndsWith,
    IsEmpty,
    IsBlank,
    Length,
    ToUpperCase,
    ToLowerCase,
    Trim,
    Strip,
    Substring,
    IndexOf,
    LastIndexOf,
    Replace,
    Concat,
    CompareToIgnoreCase,
    /// `matches`, `replaceAll`, `replaceFirst`, `split`: known, but procos has no regular
    /// expressions.
    Regex,
    // java.lang.Number and Boolean
    IntValue,
    LongValue,
    DoubleValue,
    BooleanValue,
    // java.util.List and Map
    Size,
    Get,
    ContainsKey,
    ContainsValue,
    KeySet,
    Values,
    // java.util.Date
    GetTime,
    Before,
    After,
    // org.joda.time.DateTime
    Plus(Unit),
    Minus(Unit),
    Field(Field),
    ToDate,
    GetMillis,
    WithTimeAtStartOfDay,
    IsBefore,
    IsAfter,
    IsEqual,
    IsBeforeNow,
    IsAfterNow,
    // Spin JSON nodes
    Prop,
    HasProp,
    Elements,
    StringValue,
    NumberValue,
    BoolValue,
    Value,
    IsNull,
    IsObject,
    IsArray,
    IsString,
    IsNumber,
    IsBoolean,
    IsValue,
    FieldNames,
    // the engine beans (VariableScope)
    GetVariable,
    GetVariableLocal,
    SetVariable,
    SetVariableLocal,
    HasVariable,
    HasVariableLocal,
    RemoveVariable,
    GetVariables,
    GetVariableNames,
    HasVariables,
    SetVariables,
    /// Not a method procos knows by name (bean getters and setters are handled through
    /// [`Accessor`]).
    Other,
}

impl Method {
    /// Resolves a method name.
    pub(crate) fn from_name(name: &str) -> Method {
        use Method as M;
        match name {
            "equals" => M::Equals,
            "toString" => M::ToString,
            "compareTo" => M::CompareTo,
            "equalsIgnoreCase" => M::EqualsIgnoreCase,
            "contains" => M::Contains,
            "startsWith" => M::StartsWith,
            "endsWith" => M::EndsWith,
            "isEmpty" => M::IsEmpty,
            "isBlank" => M::IsBlank,
            "length" => M::Length,
            "toUpperCase" => M::ToUpperCase,
            "toLowerCase" => M::ToLowerCase,
            "trim" => M::Trim,
            "strip" => M::Strip,
            "substring" => M::Substring,
            "indexOf" => M::IndexOf,
            "lastIndexOf" => M::LastIndexOf,
            "replace" => M::Replace,
            "concat" => M::Concat,
            "compareToIgnoreCase" => M::CompareToIgnoreCase,
            "matches" | "replaceAll" | "replaceFirst" | "split" => M::Regex,
            "intValue" => M::IntValue,
            "longValue" => M::LongValue,
            "doubleValue" => M::DoubleValue,
            "booleanValue" => M::BooleanValue,
            "size" => M::Size,
            "get" => M::Get,
            "containsKey" => M::ContainsKey,
            "containsValue" => M::ContainsValue,
            "keySet" => M::KeySet,
            "values" => M::Values,
            "getTime" => M::GetTime,
            "before" => M::Before,
            "after" => M::After,
            "plusYears" => M::Plus(Unit::Years),
            "plusMonths" => M::Plus(Unit::Months),
            "plusWeeks" => M::Plus(Unit::Weeks),
            "plusDays" => M::Plus(Unit::Days),
            "plusHours" => M::Plus(Unit::Hours),
            "plusMinutes" => M::Plus(Unit::Minutes),
            "plusSeconds" => M::Plus(Unit::Seconds),
            "plusMillis" => M::Plus(Unit::Millis),
            "minusYears" => M::Minus(Unit::Years),
            "minusMonths" => M::Minus(Unit::Months),
            "minusWeeks" => M::Minus(Unit::Weeks),
            "minusDays" => M::Minus(Unit::Days),
            "minusHours" => M::Minus(Unit::Hours),
            "minusMinutes" => M::Minus(Unit::Minutes),
            "minusSeconds" => M::Minus(Unit::Seconds),
            "minusMillis" => M::Minus(Unit::Millis),
            "getYear" => M::Field(Field::Year),
            "getMonthOfYear" => M::Field(Field::MonthOfYear),
            "getDayOfMonth" => M::Field(Field::DayOfMonth),
            "getDayOfWeek" => M::Field(Field::DayOfWeek),
            "getDayOfYear" => M::Field(Field::DayOfYear),
            "getHourOfDay" => M::Field(Field::HourOfDay),
            "getMinuteOfHour" => M::Field(Field::MinuteOfHour),
            "getSecondOfMinute" => M::Field(Field::SecondOfMinute),
            "getMillisOfSecond" => M::Field(Field::MillisOfSecond),
            "toDate" => M::ToDate,
            "getMillis" => M::GetMillis,
            "withTimeAtStartOfDay" => M::WithTimeAtStartOfDay,
            "isBefore" => M::IsBefore,
            "isAfter" => M::IsAfter,
            "isEqual" => M::IsEqual,
            "isBeforeNow" => M::IsBeforeNow,
            "isAfterNow" => M::IsAfterNow,
            "prop" => M::Prop,
            "hasProp" => M::HasProp,
            "elements" => M::Elements,
            "stringValue" => M::StringValue,
            "numberValue" => M::NumberValue,
            "boolValue" => M::BoolValue,
            "value" => M::Value,
            "isNull" => M::IsNull,
            "isObject" => M::IsObject,
            "isArray" => M::IsArray,
            "isString" => M::IsString,
            "isNumber" => M::IsNumber,
            "isBoolean" => M::IsBoolean,
            "isValue" => M::IsValue,
            "fieldNames" => M::FieldNames,
            "getVariable" => M::GetVariable,
            "getVariableLocal" => M::GetVariableLocal,
            "setVariable" => M::SetVariable,
            "setVariableLocal" => M::SetVariableLocal,
            "hasVariable" => M::HasVariable,
            "hasVariableLocal" => M::HasVariableLocal,
            "removeVariable" => M::RemoveVariable,
            "getVariables" => M::GetVariables,
            "getVariableNames" => M::GetVariableNames,
            "hasVariables" => M::HasVariables,
            "setVariables" => M::SetVariables,
            _ => M::Other,
        }
    }

    /// The getter a bean-style property reads: `date.time` is `date.getTime()`,
    /// `text.empty` is `text.isEmpty()`.
    pub(crate) fn getter_for_property(property: &str) -> Method {
        let cap = super::ast::capitalize(property);
        match Method::from_name(&format!("get{cap}")) {
            Method::Other => Method::from_name(&format!("is{cap}")),
            m => m,
        }
    }

    /// Methods of the engine beans only.
    pub(crate) fn is_bean_method(self) -> bool {
        use Method as M;
        matches!(
            self,
            M::GetVariable
                | M::GetVariableLocal
                | M::SetVariable
                | M::SetVariableLocal
                | M::HasVariable
                | M::HasVariableLocal
                | M::RemoveVariable
                | M::GetVariables
                | M::GetVariableNames
                | M::HasVariables
                | M::SetVariables
        )
    }

    /// Methods of the value types (String, List, Map, Date, DateTime, Spin, numbers):
    /// calling one on a variable is not a bean call.
    pub(crate) fn is_value_method(self) -> bool {
        self != Method::Other && !self.is_bean_method()
    }
}

/// The argument buffer: evaluated arguments, which a method may take by value.
pub(crate) type Args<'s, 'a> = &'s mut [Cow<'a, ElValue>];

type Found = Option<Result<ElValue, Fault>>;

fn take(v: &mut Cow<'_, ElValue>) -> ElValue {
    std::mem::take(v).into_owned()
}

fn ok(v: ElValue) -> Found {
    Some(Ok(v))
}

/// Calls `method` on `target`; `None` when the target's class has no such method with
/// this many arguments.
pub(crate) fn dispatch(
    target: &ElValue,
    method: Method,
    accessor: &Accessor,
    args: Args<'_, '_>,
    ctx: &mut dyn Context,
) -> Found {
    let found = match target {
        ElValue::Bean(b) => bean(*b, method, accessor, args, ctx),
        ElValue::String(s) => string(s, method, args),
        ElValue::List(items) => list(items, method, args),
        ElValue::Map(entries) => map(entries, method, accessor, args),
        ElValue::Date(t) => date(*t, method, args),
        ElValue::DateTime(t) => date_time(*t, method, args, ctx),
        ElValue::Int(_) | ElValue::Short(_) | ElValue::Long(_) | ElValue::Double(_) => {
            number(target, method, args)
        }
        ElValue::Bool(b) => boolean(*b, method, args),
        ElValue::Typed(v) => typed(v, method, accessor, args, ctx),
        ElValue::Null => None,
    };
    found.or_else(|| common(target, method, args))
}

/// Methods every Java object has.
fn common(target: &ElValue, method: Method, args: Args<'_, '_>) -> Found {
    match (method, args) {
        (Method::Equals, [other]) => ok(ElValue::Bool(java_equals(target, other))),
        (Method::ToString, []) => {
            let mut out = String::new();
            write_java(target, &mut out);
            ok(ElValue::String(out))
        }
        _ => None,
    }
}

fn bean(
    b: Bean,
    method: Method,
    accessor: &Accessor,
    args: Args<'_, '_>,
    ctx: &mut dyn Context,
) -> Found {
    use Method as M;
    let r = match (method, &mut *args) {
        (M::GetVariable, [name]) => Ok(ctx.variable(&name.coerce_to_string()).unwrap_or_default()),
        (M::GetVariableLocal, [name]) => Ok(ctx
            .variable_local(&name.coerce_to_string())
            .unwrap_or_default()),
        (M::HasVariable, [name]) => Ok(ElValue::Bool(
            ctx.variable(&name.coerce_to_string()).is_some(),
        )),
        (M::HasVariableLocal, [name]) => Ok(ElValue::Bool(
            ctx.variable_local(&name.coerce_to_string()).is_some(),
        )),
        (M::SetVariable, [name, value]) => {
            let name = name.coerce_to_string().into_owned();
            ctx.set_variable(&name, take(value))
                .map(|()| ElValue::Null)
                .map_err(Fault::context)
        }
        (M::SetVariableLocal, [name, value]) => {
            let name = name.coerce_to_string().into_owned();
            ctx.set_variable_local(&name, take(value))
                .map(|()| ElValue::Null)
                .map_err(Fault::context)
        }
        (M::RemoveVariable, [name]) => ctx
            .remove_variable(&name.coerce_to_string())
            .map(|()| ElValue::Null)
            .map_err(Fault::context),
        (M::GetVariables, []) => {
            let entries = ctx
                .variable_names()
                .into_iter()
                .map(|n| {
                    let v = ctx.variable(&n).unwrap_or_default();
                    (n, v)
                })
                .collect();
            Ok(ElValue::Map(entries))
        }
        (M::GetVariableNames, []) => Ok(ElValue::List(
            ctx.variable_names()
                .into_iter()
                .map(ElValue::String)
                .collect(),
        )),
        (M::HasVariables, []) => Ok(ElValue::Bool(!ctx.variable_names().is_empty())),
        (M::SetVariables, [vars]) => match take(vars) {
            ElValue::Map(entries) => entries
                .into_iter()
                .try_for_each(|(k, v)| ctx.set_variable(&k, v))
                .map(|()| ElValue::Null)
                .map_err(Fault::context),
            ElValue::Null => Ok(ElValue::Null),
            other => Err(Fault::coerce_type(&other, "java.util.Map")),
        },
        (_, args) => {
            return match (accessor, args) {
                (Accessor::Get(p), []) => ctx.bean_property(b, p).map(Ok),
                (Accessor::Set(p), [v]) => match ctx.set_bean_property(b, p, take(v)) {
                    Ok(true) => ok(ElValue::Null),
                    Ok(false) => None,
                    Err(e) => Some(Err(Fault::context(e))),
                },
                _ => None,
            }
        }
    };
    Some(r)
}

/// The length of a string in UTF-16 code units, which is what Java's indices count.
fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// `String.substring` with Java's bounds rules and message.
fn substring(s: &str, begin: i32, end: Option<i32>) -> Result<ElValue, Fault> {
    let len = utf16_len(s) as i64;
    let b = i64::from(begin);
    let e = end.map_or(len, i64::from);
    if b < 0 || e > len || b > e {
        return Err(Fault::failed(format!("begin {b}, end {e}, length {len}")));
    }
    let (b, e) = (b as usize, e as usize);
    let out = if s.is_ascii() {
        s.get(b..e).unwrap_or("").to_owned()
    } else {
        let units: Vec<u16> = s.encode_utf16().collect();
        String::from_utf16_lossy(units.get(b..e).unwrap_or(&[]))
    };
    Ok(ElValue::String(out))
}

/// `String.indexOf(str, from)` in UTF-16 units.
fn index_of(s: &str, needle: &str, from: i32) -> i32 {
    let from = from.max(0) as usize;
    if s.is_ascii() && needle.is_ascii() {
        return s
            .get(from..)
            .and_then(|rest| rest.find(needle))
            .map_or(-1, |i| (i + from) as i32);
    }
    let hay: Vec<u16> = s.encode_utf16().collect();
    let pat: Vec<u16> = needle.encode_utf16().collect();
    if pat.is_empty() {
        return if from <= hay.len() { from as i32 } else { -1 };
    }
    hay.get(from..)
        .and_then(|rest| rest.windows(pat.len()).position(|w| w == pat.as_slice()))
        .map_or(-1, |i| (i + from) as i32)
}

/// `String.lastIndexOf(str)` in UTF-16 units.
fn last_index_of(s: &str, needle: &str) -> i32 {
    if s.is_ascii() && needle.is_ascii() {
        return s.rfind(needle).map_or(-1, |i| i as i32);
    }
    let hay: Vec<u16> = s.encode_utf16().collect();
    let pat: Vec<u16> = needle.encode_utf16().collect();
    if pat.is_empty() {
        return hay.len() as i32;
    }
    hay.windows(pat.len())
        .rposition(|w| w == pat.as_slice())
        .map_or(-1, |i| i as i32)
}

/// Java's case folding for `equalsIgnoreCase`/`compareToIgnoreCase`: a character's
/// lower case of its upper case.
fn fold(c: char) -> char {
    let upper = c.to_uppercase().next().unwrap_or(c);
    upper.to_lowercase().next().unwrap_or(upper)
}

fn string(s: &str, method: Method, args: Args<'_, '_>) -> Found {
    use Method as M;
    let r = match (method, &mut *args) {
        (M::Equals, [other]) => Ok(ElValue::Bool(
            matches!(&**other, ElValue::String(o) if o == s),
        )),
        (M::EqualsIgnoreCase, [other]) => {
            let o = other.coerce_to_string();
            Ok(ElValue::Bool(
                s.chars().count() == o.chars().count()
                    && s.chars().zip(o.chars()).all(|(a, b)| a == b || fold(a) == fold(b)),
            ))
        }
        (M::Contains, [other]) => Ok(ElValue::Bool(s.contains(other.coerce_to_string().as_ref()))),
        (M::StartsWith, [other]) => Ok(ElValue::Bool(
            s.starts_with(other.coerce_to_string().as_ref()),
        )),
        (M::EndsWith, [other]) => Ok(ElValue::Bool(
            s.ends_with(other.coerce_to_string().as_ref()),
        )),
        (M::IsEmpty, []) => Ok(ElValue::Bool(s.is_empty())),
        (M::IsBlank, []) => Ok(ElValue::Bool(s.chars().all(char::is_whitespace))),
        (M::Length, []) => Ok(ElValue::Int(utf16_len(s) as i32)),
        (M::ToUpperCase, []) => Ok(ElValue::String(s.to_uppercase())),
        (M::ToLowerCase, []) => Ok(ElValue::String(s.to_lowercase())),
        // Java's trim() strips control characters and spaces, strip() Unicode white space.
        (M::Trim, []) => Ok(ElValue::String(s.trim_matches(|c| c <= ' ').to_owned())),
        (M::Strip, []) => Ok(ElValue::String(s.trim().to_owned())),
        (M::Substring, [b]) => to_int(b).and_then(|b| substring(s, b, None)),
        (M::Substring, [b, e]) => to_int(b).and_then(|b| substring(s, b, Some(to_int(e)?))),
        (M::IndexOf, [n]) => Ok(ElValue::Int(index_of(s, &n.coerce_to_string(), 0))),
        (M::IndexOf, [n, from]) => {
            to_int(from).map(|f| ElValue::Int(index_of(s, &n.coerce_to_string(), f)))
        }
        (M::LastIndexOf, [n]) => Ok(ElValue::Int(last_index_of(s, &n.coerce_to_string()))),
        (M::Replace, [from, to]) => Ok(ElValue::String(
            s.replace(from.coerce_to_string().as_ref(), &to.coerce_to_string()),
        )),
        (M::Concat, [other]) => Ok(ElValue::String(format!("{s}{}", other.coerce_to_string()))),
        (M::CompareTo, [other]) => Ok(ElValue::Int(java_compare(s, &other.coerce_to_string()))),
        (M::CompareToIgnoreCase, [other]) => {
            let a: String = s.chars().map(fold).collect();
            let b: String = other.coerce_to_string().chars().map(fold).collect();
            Ok(ElValue::Int(java_compare(&a, &b)))
        }
        (M::Regex, _) => Err(Fault::unsupported(
            "regular expressions are not supported (String.matches, replaceAll, replaceFirst, split)"
                .to_owned(),
        )),
        (M::ToString, []) => Ok(ElValue::String(s.to_owned())),
        _ => return None,
    };
    Some(r)
}

fn list(items: &[ElValue], method: Method, args: Args<'_, '_>) -> Found {
    use Method as M;
    let r = match (method, &mut *args) {
        (M::Size, []) => Ok(ElValue::Int(items.len() as i32)),
        (M::IsEmpty, []) => Ok(ElValue::Bool(items.is_empty())),
        (M::Contains, [o]) => Ok(ElValue::Bool(items.iter().any(|i| java_equals(i, o)))),
        (M::IndexOf, [o]) => Ok(ElValue::Int(
            items
                .iter()
                .position(|i| java_equals(i, o))
                .map_or(-1, |p| p as i32),
        )),
        (M::Get, [i]) => to_int(i).and_then(|i| {
            usize::try_from(i)
                .ok()
                .and_then(|u| items.get(u))
                .cloned()
                .ok_or_else(|| {
                    Fault::failed(format!(
                        "Index {i} out of bounds for length {}",
                        items.len()
                    ))
                })
        }),
        _ => return None,
    };
    Some(r)
}

fn map_get<'m>(entries: &'m [(String, ElValue)], key: &str) -> Option<&'m ElValue> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn map(
    entries: &[(String, ElValue)],
    method: Method,
    accessor: &Accessor,
    args: Args<'_, '_>,
) -> Found {
    use Method as M;
    // Map keys are Strings; Java's Map.get(5) finds nothing in such a map.
    let key = |k: &ElValue| match k {
        ElValue::String(s) => map_get(entries, s),
        _ => None,
    };
    let v = match (method, &mut *args) {
        (M::Size, []) => ElValue::Int(entries.len() as i32),
        (M::IsEmpty, []) => ElValue::Bool(entries.is_empty()),
        (M::ContainsKey, [k]) => ElValue::Bool(key(k).is_some()),
        (M::ContainsValue, [o]) => ElValue::Bool(entries.iter().any(|(_, v)| java_equals(v, o))),
        (M::Get, [k]) => key(k).cloned().unwrap_or_default(),
        (M::KeySet, []) => ElValue::List(
            entries
                .iter()
                .map(|(k, _)| ElValue::String(k.clone()))
                .collect(),
        ),
        (M::Values, []) => ElValue::List(entries.iter().map(|(_, v)| v.clone()).collect()),
        // A Java object stored as JSON arrives here as a map: its getters read its
        // properties, as they would on the object.
        (_, []) => match accessor {
            Accessor::Get(p) => map_get(entries, p).cloned().unwrap_or_default(),
            _ => return None,
        },
        _ => return None,
    };
    ok(v)
}

/// The instant of a Date or DateTime argument.
fn instant(v: &ElValue) -> Result<i64, Fault> {
    match v {
        ElValue::Date(t) | ElValue::DateTime(t) => Ok(t.millis()),
        other => Err(Fault::coerce_type(other, "java.util.Date")),
    }
}

fn sign(o: std::cmp::Ordering) -> ElValue {
    ElValue::Int(o as i32)
}

fn date(t: Timestamp, method: Method, args: Args<'_, '_>) -> Found {
    use Method as M;
    let r = match (method, &mut *args) {
        (M::GetTime, []) => Ok(ElValue::Long(t.millis())),
        (M::Before, [d]) => instant(d).map(|d| ElValue::Bool(t.millis() < d)),
        (M::After, [d]) => instant(d).map(|d| ElValue::Bool(t.millis() > d)),
        (M::CompareTo, [d]) => instant(d).map(|d| sign(t.millis().cmp(&d))),
        _ => return None,
    };
    Some(r)
}

fn date_time(t: Timestamp, method: Method, args: Args<'_, '_>, ctx: &mut dyn Context) -> Found {
    use Method as M;
    // Joda treats a null instant argument as "now".
    let other = |v: &ElValue| match v {
        ElValue::Null => Ok(ctx.now().millis()),
        v => instant(v),
    };
    let r = match (method, &mut *args) {
        (M::Plus(unit), [n]) => {
            to_int(n).and_then(|n| datetime::plus(t, unit, i64::from(n)).map(ElValue::DateTime))
        }
        (M::Minus(unit), [n]) => {
            to_int(n).and_then(|n| datetime::plus(t, unit, -i64::from(n)).map(ElValue::DateTime))
        }
        (M::Field(f), []) => datetime::field(t, f).map(ElValue::Int),
        (M::ToDate, []) => Ok(ElValue::Date(t)),
        (M::GetMillis, []) => Ok(ElValue::Long(t.millis())),
        (M::WithTimeAtStartOfDay, []) => datetime::start_of_day(t).map(ElValue::DateTime),
        (M::IsBefore, [d]) => other(d).map(|d| ElValue::Bool(t.millis() < d)),
        (M::IsAfter, [d]) => other(d).map(|d| ElValue::Bool(t.millis() > d)),
        (M::IsEqual, [d]) => other(d).map(|d| ElValue::Bool(t.millis() == d)),
        (M::CompareTo, [d]) => other(d).map(|d| sign(t.millis().cmp(&d))),
        (M::IsBeforeNow, []) => Ok(ElValue::Bool(t < ctx.now())),
        (M::IsAfterNow, []) => Ok(ElValue::Bool(t > ctx.now())),
        _ => return None,
    };
    Some(r)
}

fn number(target: &ElValue, method: Method, args: Args<'_, '_>) -> Found {
    use Method as M;
    let r = match (method, &mut *args) {
        (M::IntValue, []) => to_int(target).map(ElValue::Int),
        (M::LongValue, []) => to_long(target).map(ElValue::Long),
        (M::DoubleValue, []) => to_double(target).map(ElValue::Double),
        (M::CompareTo, [o]) => match target {
            ElValue::Double(d) => to_double(o).map(|o| sign(d.total_cmp(&o))),
            _ => to_long(target).and_then(|t| to_long(o).map(|o| sign(t.cmp(&o)))),
        },
        _ => return None,
    };
    Some(r)
}

fn boolean(b: bool, method: Method, args: Args<'_, '_>) -> Found {
    match (method, args) {
        (Method::BooleanValue, []) => ok(ElValue::Bool(b)),
        (Method::CompareTo, [o]) => Some(to_bool(o).map(|o| sign(b.cmp(&o)))),
        _ => None,
    }
}

fn typed(
    v: &Value,
    method: Method,
    accessor: &Accessor,
    args: Args<'_, '_>,
    ctx: &mut dyn Context,
) -> Found {
    let (text, spin) = match v {
        Value::Json(text) => (text.as_str(), true),
        Value::Object(o) if is_json_format(o.format.as_deref()) => (o.serialized.as_str(), false),
        _ => return None,
    };
    if method == Method::ToString && args.is_empty() {
        return ok(ElValue::String(text.to_owned()));
    }
    if spin {
        if let Some(r) = spin_node(text, method, args) {
            return Some(r);
        }
    }
    // Otherwise the value behaves as the Java list or map it deserializes to.
    let doc = match json::parse(text) {
        Ok(doc) => doc,
        Err(e) => return Some(Err(e)),
    };
    let converted = json::to_el(&doc, false);
    dispatch(&converted, method, accessor, args, ctx)
}

/// Camunda Spin's `SpinJsonNode` methods.
fn spin_node(text: &str, method: Method, args: Args<'_, '_>) -> Found {
    use serde_json::Value as J;
    use Method as M;
    let is_spin = matches!(
        method,
        M::Prop
            | M::HasProp
            | M::Elements
            | M::StringValue
            | M::NumberValue
            | M::BoolValue
            | M::Value
            | M::IsNull
            | M::IsObject
            | M::IsArray
            | M::IsString
            | M::IsNumber
            | M::IsBoolean
            | M::IsValue
            | M::FieldNames
    );
    if !is_spin {
        return None;
    }
    let doc = match json::parse(text) {
        Ok(doc) => doc,
        Err(e) => return Some(Err(e)),
    };
    let node = |v: &J| ElValue::Typed(Value::Json(v.to_string()));
    let not = |what: &str| Err(Fault::failed(format!("the Spin JSON node is not {what}")));
    let r = match (method, &mut *args) {
        (M::Prop, [name]) => {
            let name = name.coerce_to_string();
            match doc.get(name.as_ref()) {
                Some(v) => Ok(node(v)),
                None => Err(Fault::failed(format!("Unable to find '{name}'"))),
            }
        }
        (M::HasProp, [name]) => {
            Ok(ElValue::Bool(doc.as_object().is_some_and(|o| {
                o.contains_key(name.coerce_to_string().as_ref())
            })))
        }
        (M::Elements, []) => match &doc {
            J::Array(items) => Ok(ElValue::List(items.iter().map(node).collect())),
            _ => not("an array"),
        },
        (M::FieldNames, []) => match &doc {
            J::Object(map) => Ok(ElValue::List(
                map.keys().map(|k| ElValue::String(k.clone())).collect(),
            )),
            _ => not("an object"),
        },
        (M::StringValue, []) => match &doc {
            J::String(s) => Ok(ElValue::String(s.clone())),
            J::Number(n) => Ok(ElValue::String(n.to_string())),
            J::Bool(b) => Ok(ElValue::String(b.to_string())),
            J::Null => Ok(ElValue::String("null".to_owned())),
            _ => not("a value"),
        },
        (M::NumberValue, []) => match &doc {
            J::Number(n) => Ok(json::number(n)),
            _ => not("a number"),
        },
        (M::BoolValue, []) => match &doc {
            J::Bool(b) => Ok(ElValue::Bool(*b)),
            _ => not("a boolean"),
        },
        (M::Value, []) => match &doc {
            J::Array(_) | J::Object(_) => not("a value"),
            v => Ok(json::to_el(v, true)),
        },
        (M::IsNull, []) => Ok(ElValue::Bool(doc.is_null())),
        (M::IsObject, []) => Ok(ElValue::Bool(doc.is_object())),
        (M::IsArray, []) => Ok(ElValue::Bool(doc.is_array())),
        (M::IsString, []) => Ok(ElValue::Bool(doc.is_string())),
        (M::IsNumber, []) => Ok(ElValue::Bool(doc.is_number())),
        (M::IsBoolean, []) => Ok(ElValue::Bool(doc.is_boolean())),
        (M::IsValue, []) => Ok(ElValue::Bool(!doc.is_array() && !doc.is_object())),
        _ => return None,
    };
    Some(r)
}
