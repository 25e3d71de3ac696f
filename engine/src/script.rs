//! Scripts: JavaScript (QuickJS, embedded) and JUEL.
//!
//! A script sees the process variables as globals and an `execution` object with
//! `getVariable`, `setVariable`, `hasVariable`, `removeVariable` and the usual getters,
//! as in Camunda. It runs in a fresh, isolated QuickJS context: data goes in as JSON and
//! comes out as JSON, so a script cannot reach the engine, the file system or the
//! network, and the same script with the same variables always does the same thing.
//! Limits: memory, stack, and a budget of interpreter steps (counted, not timed, so a
//! runaway script fails the same way on every machine).
//!
//! Assigning to a global (`x = 5`) does not set a process variable (Camunda does that
//! only for Groovy with `autoStoreScriptVariables`); `execution.setVariable` does.

use std::cell::Cell;
use std::rc::Rc;

use rquickjs::{Context as JsContext, Runtime};
use serde_json::{json, Map, Value as Json};

use crate::bpmn::Script;
use crate::expr::{Bean, Context, ElValue, EvalError};
use crate::time::Timestamp;
use crate::value::Value;

/// Limits on one script run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of memory the script may allocate.
    pub memory: usize,
    /// Bytes of stack.
    pub stack: usize,
    /// QuickJS interrupt checks allowed (each is roughly ten thousand bytecode steps).
    pub steps: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: 64 * 1024 * 1024,
            stack: 1024 * 1024,
            steps: 20_000,
        }
    }
}

/// Runs a script (or evaluates an expression) for the context's execution.
pub fn run(script: &Script, ctx: &mut dyn Context) -> Result<ElValue, EvalError> {
    match script {
        Script::Expression(e) => e.evaluate(ctx),
        Script::JavaScript(source) => run_javascript(source, ctx, Limits::default()),
    }
}

/// Runs a script as a condition: its result must be a boolean.
pub fn condition(script: &Script, ctx: &mut dyn Context) -> Result<bool, EvalError> {
    match script {
        Script::Expression(e) => e.evaluate_condition(ctx),
        Script::JavaScript(source) => match run_javascript(source, ctx, Limits::default())? {
            ElValue::Bool(b) => Ok(b),
            other => Err(EvalError::Custom(format!(
                "condition script returns non-Boolean: result has class {} and not java.lang.Boolean",
                other.java_class()
            ))),
        },
    }
}

const EXECUTION_PROPERTIES: &[&str] = &[
    "id",
    "processInstanceId",
    "processBusinessKey",
    "processDefinitionId",
    "activityId",
    "currentActivityName",
    "parentId",
    "tenantId",
];

const PRELUDE: &str = r#"
var __procos_sets = {};
var __procos_local = {};
var __procos_removed = [];
(function (input) {
  function revive(v) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && '$date' in v) {
      return new Date(v['$date']);
    }
    return v;
  }
  var vars = input.vars;
  Object.keys(vars).forEach(function (k) {
    if (k !== 'execution') { globalThis[k] = revive(vars[k]); }
  });
  var ex = input.execution;
  function value(n) {
    if (Object.prototype.hasOwnProperty.call(__procos_sets, n)) { return __procos_sets[n]; }
    if (__procos_removed.indexOf(n) >= 0) { return null; }
    return Object.prototype.hasOwnProperty.call(vars, n) ? revive(vars[n]) : null;
  }
  globalThis.execution = {
    getVariable: value,
    getVariableLocal: function (n) { return Object.prototype.hasOwnProperty.call(__procos_local, n) ? __procos_local[n] : value(n); },
    hasVariable: function (n) { return Object.prototype.hasOwnProperty.call(__procos_sets, n) || (Object.prototype.hasOwnProperty.call(vars, n) && __procos_removed.indexOf(n) < 0); },
    setVariable: function (n, v) { __procos_sets[n] = v; },
    setVariableLocal: function (n, v) { __procos_local[n] = v; },
    removeVariable: function (n) { delete __procos_sets[n]; __procos_removed.push(n); },
    getVariables: function () {
      var all = {};
      Object.keys(vars).forEach(function (k) { if (__procos_removed.indexOf(k) < 0) { all[k] = revive(vars[k]); } });
      Object.keys(__procos_sets).forEach(function (k) { all[k] = __procos_sets[k]; });
      return all;
    },
    getVariableNames: function () { return Object.keys(this.getVariables()); },
    id: ex.id, getId: function () { return ex.id; },
    processInstanceId: ex.processInstanceId, getProcessInstanceId: function () { return ex.processInstanceId; },
    processBusinessKey: ex.processBusinessKey, getProcessBusinessKey: function () { return ex.processBusinessKey; },
    businessKey: ex.processBusinessKey, getBusinessKey: function () { return ex.processBusinessKey; },
    processDefinitionId: ex.processDefinitionId, getProcessDefinitionId: function () { return ex.processDefinitionId; },
    activityId: ex.activityId, getActivityId: function () { return ex.activityId; }, getCurrentActivityId: function () { return ex.activityId; },
    currentActivityName: ex.currentActivityName, getCurrentActivityName: function () { return ex.currentActivityName; },
    parentId: ex.parentId, getParentId: function () { return ex.parentId; },
    tenantId: ex.tenantId, getTenantId: function () { return ex.tenantId; }
  };
})(__procos_in);
"#;

const EPILOGUE: &str = r#"
JSON.stringify({
  result: __procos_result === undefined ? null : __procos_result,
  sets: __procos_sets,
  local: __procos_local,
  removed: __procos_removed
}, function (k, v) {
  var raw = this[k];
  if (raw instanceof Date) { return { '$date': raw.getTime() }; }
  if (typeof raw === 'function') { return undefined; }
  return v === undefined ? null : v;
})
"#;

/// Runs JavaScript `source` for the context's execution.
pub fn run_javascript(
    source: &str,
    ctx: &mut dyn Context,
    limits: Limits,
) -> Result<ElValue, EvalError> {
    let mut vars = Map::new();
    for name in ctx.variable_names() {
        if let Some(v) = ctx.variable(&name) {
            vars.insert(name, to_json(&v));
        }
    }
    let mut execution = Map::new();
    for p in EXECUTION_PROPERTIES {
        let v = ctx
            .bean_property(Bean::Execution, p)
            .unwrap_or(ElValue::Null);
        execution.insert((*p).to_owned(), to_json(&v));
    }
    let input = json!({ "vars": vars, "execution": execution }).to_string();

    let fail = |message: String| EvalError::Custom(format!("Unable to evaluate script: {message}"));
    let runtime = Runtime::new().map_err(|e| fail(e.to_string()))?;
    runtime.set_memory_limit(limits.memory);
    runtime.set_max_stack_size(limits.stack);
    let budget = Rc::new(Cell::new(0u32));
    let counter = budget.clone();
    let max = limits.steps;
    runtime.set_interrupt_handler(Some(Box::new(move || {
        counter.set(counter.get().saturating_add(1));
        counter.get() > max
    })));
    let context = JsContext::full(&runtime).map_err(|e| fail(e.to_string()))?;
    let output: Result<String, String> = context.with(|cx| {
        let describe = |e: rquickjs::Error| -> String {
            if matches!(e, rquickjs::Error::Exception) {
                let caught = cx.catch();
                if let Some(ex) = caught.as_exception() {
                    return ex.message().unwrap_or_else(|| "exception".to_owned());
                }
                if let Ok(s) = caught.get::<String>() {
                    return s;
                }
                return "the script threw an exception".to_owned();
            }
            e.to_string()
        };
        let input = cx.json_parse(input).map_err(describe)?;
        cx.globals().set("__procos_in", input).map_err(describe)?;
        cx.eval::<(), _>(PRELUDE).map_err(describe)?;
        let result: rquickjs::Value = cx.eval(source.as_bytes().to_vec()).map_err(describe)?;
        cx.globals()
            .set("__procos_result", result)
            .map_err(describe)?;
        cx.eval::<String, _>(EPILOGUE).map_err(describe)
    });
    let output = output.map_err(|m| {
        if budget.get() > max {
            fail(
                "the script ran too long (procos stops a script after a fixed number of steps)"
                    .to_owned(),
            )
        } else {
            fail(m)
        }
    })?;
    let parsed: Json = serde_json::from_str(&output).map_err(|e| fail(e.to_string()))?;
    if let Some(sets) = parsed.get("sets").and_then(Json::as_object) {
        for (name, v) in sets {
            ctx.set_variable(name, from_json(v))?;
        }
    }
    if let Some(local) = parsed.get("local").and_then(Json::as_object) {
        for (name, v) in local {
            ctx.set_variable_local(name, from_json(v))?;
        }
    }
    if let Some(removed) = parsed.get("removed").and_then(Json::as_array) {
        for name in removed.iter().filter_map(Json::as_str) {
            ctx.remove_variable(name)?;
        }
    }
    Ok(parsed.get("result").map_or(ElValue::Null, from_json))
}

/// A value as the script sees it.
fn to_json(v: &ElValue) -> Json {
    match v {
        ElValue::Null | ElValue::Bean(_) => Json::Null,
        ElValue::Bool(b) => Json::Bool(*b),
        ElValue::Int(n) => json!(n),
        ElValue::Short(n) => json!(n),
        ElValue::Long(n) => json!(n),
        ElValue::Double(d) => json!(d),
        ElValue::String(s) => Json::String(s.clone()),
        ElValue::Date(t) | ElValue::DateTime(t) => json!({ "$date": t.0 }),
        ElValue::List(items) => Json::Array(items.iter().map(to_json).collect()),
        ElValue::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        ElValue::Typed(value) => match value {
            Value::Json(text) => serde_json::from_str(text).unwrap_or(Json::Null),
            Value::Object(o) if o.format.as_deref() == Some(crate::value::JSON_FORMAT) => {
                serde_json::from_str(&o.serialized).unwrap_or(Json::Null)
            }
            Value::Xml(text) => Json::String(text.clone()),
            _ => Json::Null,
        },
    }
}

/// A value a script produced, typed as Camunda's JavaScript engine returns it: whole
/// numbers that fit are Integer, larger ones Long, others Double.
fn from_json(v: &Json) -> ElValue {
    match v {
        Json::Null => ElValue::Null,
        Json::Bool(b) => ElValue::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                i32::try_from(i).map_or(ElValue::Long(i), ElValue::Int)
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    let i = f as i64;
                    i32::try_from(i).map_or(ElValue::Long(i), ElValue::Int)
                } else {
                    ElValue::Double(f)
                }
            }
        }
        Json::String(s) => ElValue::String(s.clone()),
        Json::Array(items) => ElValue::List(items.iter().map(from_json).collect()),
        Json::Object(map) => {
            if map.len() == 1 {
                if let Some(ms) = map.get("$date").and_then(Json::as_i64) {
                    return ElValue::Date(Timestamp(ms));
                }
            }
            ElValue::Map(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::testing::MapContext;

    fn js(source: &str, ctx: &mut MapContext) -> Result<ElValue, EvalError> {
        run_javascript(source, ctx, Limits::default())
    }

    #[test]
    fn variables_are_globals_and_the_last_expression_is_the_result() {
        let mut ctx = MapContext::new()
            .with_var("amount", Value::Long(40))
            .with_var("name", Value::from("Ada"));
        assert_eq!(js("amount + 2", &mut ctx).unwrap(), ElValue::Int(42));
        assert_eq!(
            js("'Hello ' + name", &mut ctx).unwrap(),
            ElValue::String("Hello Ada".to_owned())
        );
        assert_eq!(js("amount / 16", &mut ctx).unwrap(), ElValue::Double(2.5));
    }

    #[test]
    fn execution_set_variable_writes_a_process_variable_and_globals_do_not() {
        let mut ctx = MapContext::new().with_var("a", Value::Long(1));
        js(
            "execution.setVariable('b', a * 10); a = 99; execution.getVariable('b')",
            &mut ctx,
        )
        .unwrap();
        assert_eq!(ctx.var("b").cloned(), Some(Value::Integer(10)));
        assert_eq!(ctx.var("a").cloned(), Some(Value::Long(1)));
    }

    #[test]
    fn dates_objects_and_arrays_cross_the_boundary() {
        let mut ctx = MapContext::new().with_var("when", Value::Date(Timestamp(86_400_000)));
        let r = js(
            "execution.setVariable('next', new Date(when.getTime() + 1000)); ({a: [1, 'x', true]})",
            &mut ctx,
        )
        .unwrap();
        assert_eq!(
            ctx.var("next").cloned(),
            Some(Value::Date(Timestamp(86_401_000)))
        );
        assert_eq!(
            r,
            ElValue::Map(vec![(
                "a".to_owned(),
                ElValue::List(vec![
                    ElValue::Int(1),
                    ElValue::String("x".to_owned()),
                    ElValue::Bool(true)
                ])
            )])
        );
    }

    #[test]
    fn exceptions_become_errors_with_the_scripts_message() {
        let mut ctx = MapContext::new();
        let err = js("throw new Error('no stock')", &mut ctx)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no stock"), "{err}");
        let err = js("undefinedVariable + 1", &mut ctx)
            .unwrap_err()
            .to_string();
        assert!(err.contains("undefinedVariable"), "{err}");
    }

    #[test]
    fn an_endless_loop_is_stopped() {
        let mut ctx = MapContext::new();
        let limits = Limits {
            steps: 50,
            ..Limits::default()
        };
        let err = run_javascript("while (true) {}", &mut ctx, limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ran too long"), "{err}");
    }

    #[test]
    fn memory_is_bounded() {
        let mut ctx = MapContext::new();
        let limits = Limits {
            memory: 8 * 1024 * 1024,
            ..Limits::default()
        };
        let err = run_javascript(
            "var a = []; while (true) { a.push('x'.repeat(1000)); }",
            &mut ctx,
            limits,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("Unable to evaluate script"),
            "{err}"
        );
    }
}
