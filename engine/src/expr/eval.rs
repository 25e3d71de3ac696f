//! Evaluation of a parsed tree.
//!
//! Values are `Cow`s: literals are borrowed from the tree and numbers and booleans are
//! produced inline, so a condition like `${amount > 100}` allocates nothing beyond what
//! the context does to resolve `amount`.

use std::borrow::Cow;

use super::ast::{Accessor, Arith, Call, CmpOp, Func, FuncCall, Node, Path, Step};
use super::error::Fault;
use super::json;
use super::methods::{self, Method};
use super::ops;
use super::value::{to_bool, ElValue};
use super::Context;

static NULL: ElValue = ElValue::Null;
static TRUE: ElValue = ElValue::Bool(true);
static FALSE: ElValue = ElValue::Bool(false);

fn boolean(b: bool) -> Cow<'static, ElValue> {
    Cow::Borrowed(if b { &TRUE } else { &FALSE })
}

/// Arguments up to this count are evaluated into a stack buffer.
const INLINE_ARGS: usize = 3;

// Evaluation recurses once per level of the tree. `eval` only dispatches, and each
// kind of node has its own small function, so that the stack a level costs is that of
// the nodes on the path, not of every kind of node (this matters most in debug builds).

/// Evaluates a node.
pub(crate) fn eval<'a>(node: &'a Node, ctx: &mut dyn Context) -> Result<Cow<'a, ElValue>, Fault> {
    match node {
        Node::Lit(v) => Ok(Cow::Borrowed(v)),
        Node::Ident(name) => resolve(name, ctx),
        Node::Path(p) => eval_path(p, ctx),
        Node::Func(f) => function(f, ctx),
        Node::Not(x) => not(x, ctx),
        Node::Neg(x) => negate(x, ctx),
        Node::Empty(x) => empty(x, ctx),
        Node::Arith(a) => arith(a, ctx),
        Node::Cmp(op, pair) => compare(*op, pair, ctx),
        Node::And(_) | Node::Or(_) => logic(node, ctx),
        Node::Cond(parts) => choice(parts, ctx),
    }
}

fn not<'a>(x: &'a Node, ctx: &mut dyn Context) -> Result<Cow<'a, ElValue>, Fault> {
    Ok(boolean(!truth(x, ctx)?))
}

/// A node's value coerced to Boolean, as `&&`, `||`, `!` and `?:` use it. Comparisons
/// and logic answer with a plain `bool` here instead of building a value, which is what
/// keeps gateway conditions cheap.
pub(crate) fn truth(node: &Node, ctx: &mut dyn Context) -> Result<bool, Fault> {
    match node {
        Node::Cmp(op, pair) => {
            let [l, r] = &**pair;
            let a = eval(l, ctx)?;
            let b = eval(r, ctx)?;
            ops::compare(*op, &a, &b)
        }
        Node::And(items) => {
            for item in items {
                if !truth(item, ctx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Node::Or(items) => {
            for item in items {
                if truth(item, ctx)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Node::Not(x) => Ok(!truth(x, ctx)?),
        _ => to_bool(&*eval(node, ctx)?),
    }
}

/// True for the nodes whose value is always a Boolean.
pub(crate) fn is_boolean(node: &Node) -> bool {
    matches!(
        node,
        Node::Cmp(..) | Node::And(_) | Node::Or(_) | Node::Not(_)
    )
}

fn negate<'a>(x: &'a Node, ctx: &mut dyn Context) -> Result<Cow<'a, ElValue>, Fault> {
    let v = eval(x, ctx)?;
    ops::neg(&v).map(Cow::Owned)
}

fn empty<'a>(x: &'a Node, ctx: &mut dyn Context) -> Result<Cow<'a, ElValue>, Fault> {
    let v = eval(x, ctx)?;
    Ok(boolean(ops::empty(&v)))
}

fn arith<'a>(a: &'a Arith, ctx: &mut dyn Context) -> Result<Cow<'a, ElValue>, Fault> {
    let mut acc = eval(&a.first, ctx)?;
    for (op, operand) in &a.rest {
        let rhs = eval(operand, ctx)?;
        acc = Cow::Owned(ops::arith(*op, &acc, &rhs)?);
    }
    Ok(acc)
}

fn compare<'a>(
    op: CmpOp,
    [l, r]: &'a [Node; 2],
    ctx: &mut dyn Context,
) -> Result<Cow<'a, ElValue>, Fault> {
    let a = eval(l, ctx)?;
    let b = eval(r, ctx)?;
    Ok(boolean(ops::compare(op, &a, &b)?))
}

fn logic<'a>(node: &Node, ctx: &mut dyn Context) -> Result<Cow<'a, ElValue>, Fault> {
    Ok(boolean(truth(node, ctx)?))
}

fn choice<'a>(
    [question, yes, no]: &'a [Node; 3],
    ctx: &mut dyn Context,
) -> Result<Cow<'a, ElValue>, Fault> {
    if truth(question, ctx)? {
        eval(yes, ctx)
    } else {
        eval(no, ctx)
    }
}

/// A root identifier: the context's beans and variables, then Camunda's
/// `authenticatedUserId`.
fn resolve<'a>(name: &str, ctx: &mut dyn Context) -> Result<Cow<'a, ElValue>, Fault> {
    match ctx.resolve(name) {
        Some(v) => Ok(Cow::Owned(v)),
        None if name == "authenticatedUserId" => Ok(Cow::Owned(
            ctx.current_user().map_or(ElValue::Null, ElValue::String),
        )),
        None => Err(Fault::identifier(name.to_owned())),
    }
}

fn eval_path<'a>(p: &'a Path, ctx: &mut dyn Context) -> Result<Cow<'a, ElValue>, Fault> {
    let mut cur = eval(&p.base, ctx)?;
    let mut i = 0;
    while let Some(step) = p.steps.get(i) {
        if !matches!(step, Step::Call(_)) && json::source(&cur).is_some() {
            cur = Cow::Owned(walk_json(&cur, &p.steps, &mut i, ctx)?);
            continue;
        }
        cur = apply_step(cur, step, p.start, ctx)?;
        i += 1;
    }
    Ok(cur)
}

/// Walks the property and index steps from `*i` on inside a JSON value, parsing the
/// document once, and leaves `*i` at the first step it did not take.
fn walk_json(
    cur: &ElValue,
    steps: &[Step],
    i: &mut usize,
    ctx: &mut dyn Context,
) -> Result<ElValue, Fault> {
    let Some((text, spin)) = json::source(cur) else {
        return Ok(ElValue::Null);
    };
    let doc = json::parse(text)?;
    let mut node = Some(&doc);
    while let (Some(n), Some(s)) = (node, steps.get(*i)) {
        node = match s {
            Step::Prop { name, .. } => n.as_object().and_then(|o| o.get(&**name)),
            Step::Index(e) => {
                let key = eval(e, ctx)?;
                if key.is_null() {
                    None
                } else {
                    json::step(n, &key)?
                }
            }
            Step::Call(_) => break,
        };
        *i += 1;
    }
    Ok(node.map_or(ElValue::Null, |n| json::to_el(n, spin)))
}

fn apply_step<'a>(
    cur: Cow<'a, ElValue>,
    step: &'a Step,
    start: u32,
    ctx: &mut dyn Context,
) -> Result<Cow<'a, ElValue>, Fault> {
    match step {
        Step::Prop { name, getter } => property(cur, name, *getter, ctx),
        Step::Index(e) => {
            let key = eval(e, ctx)?;
            index(cur, &key, ctx)
        }
        Step::Call(c) => call(&cur, c, start, ctx).map(Cow::Owned),
    }
}

/// `base.name`: a map entry (null when missing), a bean property, or a bean-style
/// getter of a value (`date.time`). A property of null is null.
fn property<'a>(
    cur: Cow<'a, ElValue>,
    name: &str,
    getter: Method,
    ctx: &mut dyn Context,
) -> Result<Cow<'a, ElValue>, Fault> {
    let base: &ElValue = &cur;
    match base {
        ElValue::Null => Ok(Cow::Borrowed(&NULL)),
        ElValue::Map(_) => Ok(map_entry(cur, name)),
        ElValue::List(_) => Err(Fault::failed(format!("Cannot parse list index: {name}"))),
        ElValue::Bean(b) => match getter {
            Method::GetVariables | Method::GetVariableNames => {
                getter_call(base, name, getter, ctx).map(Cow::Owned)
            }
            _ => ctx.bean_property(*b, name).map(Cow::Owned).ok_or_else(|| {
                Fault::property(format!(
                    "Could not find property {name} in class {}",
                    b.java_class()
                ))
            }),
        },
        _ => getter_call(base, name, getter, ctx).map(Cow::Owned),
    }
}

fn getter_call(
    base: &ElValue,
    name: &str,
    getter: Method,
    ctx: &mut dyn Context,
) -> Result<ElValue, Fault> {
    let found = match getter {
        Method::Other => None,
        m => methods::dispatch(base, m, &Accessor::None, &mut [], ctx),
    };
    found.unwrap_or_else(|| {
        Err(Fault::property(format!(
            "Could not find property {name} in class {}",
            base.java_class_name()
        )))
    })
}

/// A map entry, moved out of the map when the map is a temporary.
fn map_entry<'a>(map: Cow<'a, ElValue>, key: &str) -> Cow<'a, ElValue> {
    match map {
        Cow::Owned(ElValue::Map(mut entries)) => {
            let v = entries
                .iter()
                .position(|(k, _)| k == key)
                .map(|i| entries.swap_remove(i).1)
                .unwrap_or_default();
            Cow::Owned(v)
        }
        Cow::Borrowed(ElValue::Map(entries)) => entries
            .iter()
            .find(|(k, _)| k == key)
            .map_or(Cow::Borrowed(&NULL), |(_, v)| Cow::Borrowed(v)),
        _ => Cow::Borrowed(&NULL),
    }
}

/// `base[key]`: a list element (null when out of range), a map entry, or a property
/// named by the key's string value.
fn index<'a>(
    cur: Cow<'a, ElValue>,
    key: &ElValue,
    ctx: &mut dyn Context,
) -> Result<Cow<'a, ElValue>, Fault> {
    if cur.is_null() || key.is_null() {
        return Ok(Cow::Borrowed(&NULL));
    }
    match &*cur {
        ElValue::Map(_) => Ok(match key {
            ElValue::String(k) => map_entry(cur, k),
            // The map's keys are Strings; Java's `map.get(5)` finds nothing.
            _ => Cow::Borrowed(&NULL),
        }),
        ElValue::List(_) => {
            let Some(i) = json::list_index(key)? else {
                return Ok(Cow::Borrowed(&NULL));
            };
            Ok(match cur {
                Cow::Owned(ElValue::List(mut items)) if i < items.len() => {
                    Cow::Owned(items.swap_remove(i))
                }
                Cow::Borrowed(ElValue::List(items)) => {
                    items.get(i).map_or(Cow::Borrowed(&NULL), Cow::Borrowed)
                }
                _ => Cow::Borrowed(&NULL),
            })
        }
        _ => {
            let name = key.coerce_to_string();
            let getter = Method::getter_for_property(&name);
            property(cur, &name, getter, ctx)
        }
    }
}

/// Evaluates arguments into `buf`, left to right as Java does.
fn eval_args<'a>(
    nodes: &'a [Node],
    buf: &mut [Cow<'a, ElValue>],
    ctx: &mut dyn Context,
) -> Result<(), Fault> {
    for (slot, node) in buf.iter_mut().zip(nodes) {
        *slot = eval(node, ctx)?;
    }
    Ok(())
}

/// `base.name(args)`.
fn call(target: &ElValue, c: &Call, start: u32, ctx: &mut dyn Context) -> Result<ElValue, Fault> {
    if target.is_null() {
        return Err(Fault::base_null(start, c.base_end));
    }
    let n = c.args.len();
    let found = if n <= INLINE_ARGS {
        let mut buf: [Cow<'_, ElValue>; INLINE_ARGS] = Default::default();
        eval_args(&c.args, &mut buf, ctx)?;
        let args = buf.get_mut(..n).unwrap_or_default();
        methods::dispatch(target, c.method, &c.accessor, args, ctx)
    } else {
        let mut buf = vec![Cow::Borrowed(&NULL); n];
        eval_args(&c.args, &mut buf, ctx)?;
        methods::dispatch(target, c.method, &c.accessor, &mut buf, ctx)
    };
    found.unwrap_or_else(|| {
        Err(Fault::method(
            c.name.to_string(),
            target.java_class_name().into_owned(),
        ))
    })
}

/// A function call.
fn function<'a>(f: &FuncCall, ctx: &mut dyn Context) -> Result<Cow<'a, ElValue>, Fault> {
    let full_name = || match &f.prefix {
        Some(p) => format!("{p}:{}", f.name),
        None => f.name.to_string(),
    };
    if f.func == Func::Unknown {
        return Err(Fault::function(full_name()));
    }
    if f.args.len() != f.func.arity() {
        return Err(Fault::failed(format!(
            "Parameters for function '{}' do not match",
            full_name()
        )));
    }
    let v = match f.func {
        Func::Now => ElValue::Date(ctx.now()),
        Func::DateTime => ElValue::DateTime(ctx.now()),
        Func::CurrentUser => ctx.current_user().map_or(ElValue::Null, ElValue::String),
        Func::CurrentUserGroups => ElValue::List(
            ctx.current_user_groups()
                .into_iter()
                .map(ElValue::String)
                .collect(),
        ),
        Func::Json | Func::Xml => {
            let arg = match f.args.first() {
                Some(a) => eval(a, ctx)?,
                None => Cow::Borrowed(&NULL),
            };
            if f.func == Func::Json {
                json::spin_of(&arg)?
            } else {
                json::xml_of(&arg)?
            }
        }
        Func::Unknown => return Err(Fault::function(full_name())),
    };
    Ok(Cow::Owned(v))
}
