//! Deploy-time checks: constructs that parse but cannot work in procos, reported when
//! the process is deployed rather than when a token first reaches them.
//!
//! Camunda resolves unknown identifiers against Spring/CDI beans; procos has none, so a
//! method call on a root identifier that is not a method of any value type
//! (`${orderService.validate(order)}`) can only be a bean call. A call such as
//! `${answer.equals('yes')}` is a String method and passes.

use super::ast::{Accessor, Body, Call, Func, FuncCall, Node, Part, Step};
use super::value::Bean;

const FUNCTIONS: &str =
    "now(), dateTime(), currentUser(), currentUserGroups(), S(), JSON() and XML()";

/// The problems of one expression, in source order.
pub(crate) fn check(body: &Body, source: &str) -> Vec<String> {
    let mut out = Vec::new();
    match body {
        Body::Literal(_) => {}
        Body::Single(n) => walk(n, source, &mut out),
        Body::Composite(parts) => {
            for part in parts.iter() {
                if let Part::Expr(n) = part {
                    walk(n, source, &mut out);
                }
            }
        }
    }
    out
}

fn walk(node: &Node, src: &str, out: &mut Vec<String>) {
    match node {
        Node::Lit(_) | Node::Ident(_) => {}
        Node::Path(p) => {
            walk(&p.base, src, out);
            let root = match &p.base {
                Node::Ident(name) => Some(&**name),
                _ => None,
            };
            for (k, step) in p.steps.iter().enumerate() {
                match step {
                    Step::Prop { .. } => {}
                    Step::Index(e) => walk(e, src, out),
                    Step::Call(c) => {
                        for a in c.args.iter() {
                            walk(a, src, out);
                        }
                        if let (0, Some(root)) = (k, root) {
                            check_call(root, c, src, out);
                        }
                    }
                }
            }
        }
        Node::Func(f) => {
            check_function(f, src, out);
            for a in f.args.iter() {
                walk(a, src, out);
            }
        }
        Node::Not(x) | Node::Neg(x) | Node::Empty(x) => walk(x, src, out),
        Node::Arith(a) => {
            walk(&a.first, src, out);
            for (_, x) in &a.rest {
                walk(x, src, out);
            }
        }
        Node::Cmp(_, pair) => pair.iter().for_each(|x| walk(x, src, out)),
        Node::And(items) | Node::Or(items) => items.iter().for_each(|x| walk(x, src, out)),
        Node::Cond(parts) => parts.iter().for_each(|x| walk(x, src, out)),
    }
}

fn check_call(root: &str, c: &Call, src: &str, out: &mut Vec<String>) {
    let name = &*c.name;
    if Bean::from_name(root).is_some() {
        let accessor_ok = match &c.accessor {
            Accessor::Get(_) => c.args.is_empty(),
            Accessor::Set(_) => c.args.len() == 1,
            Accessor::None => false,
        };
        if !(c.method.is_bean_method() || c.method.is_value_method() || accessor_ok) {
            out.push(format!(
                "`{src}` calls method '{name}' on '{root}', which procos does not support: \
                 it offers the variable methods (getVariable, setVariable, hasVariable, ...) \
                 and property getters"
            ));
        }
    } else if !c.method.is_value_method() {
        out.push(format!(
            "`{src}` calls method '{name}' on '{root}', which looks like a Java bean; procos has \
             no beans: use camunda:type=\"external\" with a worker, or a process variable"
        ));
    }
}

fn check_function(f: &FuncCall, src: &str, out: &mut Vec<String>) {
    let name = &*f.name;
    if let Some(prefix) = &f.prefix {
        out.push(format!(
            "`{src}` calls '{prefix}:{name}' from the function namespace '{prefix}'; procos has \
             no function namespaces, only the functions {FUNCTIONS}"
        ));
    } else if f.func == Func::Unknown {
        out.push(format!(
            "`{src}` calls function '{name}', which procos does not provide; it provides {FUNCTIONS}"
        ));
    } else if f.args.len() != f.func.arity() {
        out.push(format!(
            "`{src}` calls {name}() with {} argument(s); it takes {}",
            f.args.len(),
            f.func.arity()
        ));
    }
}
