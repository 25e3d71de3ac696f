//! `camunda:` extension elements and attributes: input/output mappings, properties,
//! form fields, and the refusal of everything that would need Java.

use crate::expr::Expression;

use super::graph::{FormField, IoMapping, Listener, ListenerEvent, ParamValue, Parameter, Script};
use super::problem::{At, Problems};
use super::xml::{Element, Ns};

/// The two namespaces Camunda 7 reads its extensions from: its own, and Activiti's,
/// which it still honours for models migrated from Activiti.
fn is_ext(ns: Ns) -> bool {
    matches!(ns, Ns::Camunda | Ns::Activiti)
}

/// An extension attribute (`camunda:` or the legacy `activiti:`).
pub fn ext_attr<'a>(el: &'a Element, name: &str) -> Option<&'a str> {
    el.attr_ns(Ns::Camunda, name)
        .or_else(|| el.attr_ns(Ns::Activiti, name))
}

/// Extension elements named `name` inside `<extensionElements>`.
pub fn ext_elements<'a>(el: &'a Element, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
    el.bpmn_children("extensionElements")
        .flat_map(|ext| ext.children.iter())
        .filter(move |c| is_ext(c.ns) && &*c.name == name)
}

pub(crate) fn at(el: &Element) -> At<'_> {
    At {
        id: el.attr("id"),
        line: el.line,
        column: el.column,
    }
}

/// Parses an expression attribute, recording a problem when it does not parse.
pub fn expression(
    text: &str,
    el: &Element,
    what: &str,
    problems: &mut Problems,
) -> Option<Expression> {
    match Expression::parse(text) {
        Ok(expr) => {
            for issue in expr.check() {
                problems.error(at(el), format!("{what}: {issue}"));
            }
            Some(expr)
        }
        Err(e) => {
            problems.error(at(el), format!("{what} is not a valid expression: {e}"));
            None
        }
    }
}

/// An optional expression-valued extension attribute.
pub fn ext_expression(el: &Element, name: &str, problems: &mut Problems) -> Option<Expression> {
    let text = ext_attr(el, name)?;
    expression(text, el, &format!("camunda:{name}=\"{text}\""), problems)
}

/// Refuses what needs a Java runtime, naming the element, the attribute and what to use
/// instead. Camunda would load a class or a bean here; procos has neither.
pub fn refuse_java(el: &Element, problems: &mut Problems) {
    let kind = &*el.name;
    for attr in ["class", "delegateExpression"] {
        if let Some(value) = ext_attr(el, attr) {
            problems.error(
                at(el),
                format!(
                    "<{kind}> uses camunda:{attr}=\"{value}\", which needs a Java delegate; procos runs no Java: use camunda:type=\"external\" with camunda:topic and serve the topic with a worker"
                ),
            );
        }
    }
    for attr in ["variableMappingClass", "variableMappingDelegateExpression"] {
        if let Some(value) = ext_attr(el, attr) {
            problems.error(
                at(el),
                format!(
                    "<{kind}> uses camunda:{attr}=\"{value}\", which needs Java; use camunda:in and camunda:out mappings instead"
                ),
            );
        }
    }
    if let Some(value) = ext_attr(el, "formHandlerClass") {
        problems.error(
            at(el),
            format!("<{kind}> uses camunda:formHandlerClass=\"{value}\", which needs Java; remove it (procos serves camunda:formKey and camunda:formData as they are)"),
        );
    }
    for connector in ext_elements(el, "connector") {
        let id = connector
            .children
            .iter()
            .find(|c| &*c.name == "connectorId")
            .map(|c| c.trimmed_text().to_owned())
            .unwrap_or_default();
        problems.error(
            at(el),
            format!(
                "<{kind}> uses camunda:connector '{id}' (Camunda Connect), which procos does not provide; use camunda:type=\"external\" with a topic served by `procos worker generic` (topic http_request)"
            ),
        );
    }
    for field in ext_elements(el, "field") {
        let name = field.attr("name").unwrap_or("?");
        problems.error(
            at(el),
            format!(
                "<{kind}> injects camunda:field '{name}' into a Java object; procos runs no Java: pass values to workers with camunda:inputOutput instead"
            ),
        );
    }
    for listener_kind in ["executionListener", "taskListener"] {
        for listener in ext_elements(el, listener_kind) {
            let event = listener.attr("event").unwrap_or("?");
            let java = listener
                .attr("class")
                .map(|c| format!("class=\"{c}\""))
                .or_else(|| {
                    listener
                        .attr("delegateExpression")
                        .map(|d| format!("delegateExpression=\"{d}\""))
                });
            if let Some(how) = java {
                problems.error(
                    at(el),
                    format!(
                        "<{kind}> has a camunda:{listener_kind} on '{event}' with {how}, which needs Java; procos runs no Java: use a camunda:expression or a JavaScript camunda:script listener, or model the work as a task"
                    ),
                );
            }
        }
    }
}

/// `camunda:properties`.
pub fn properties(el: &Element) -> Vec<(String, String)> {
    ext_elements(el, "properties")
        .flat_map(|p| p.children.iter())
        .filter(|c| is_ext(c.ns) && &*c.name == "property")
        .filter_map(|p| {
            Some((
                p.attr("name")?.to_owned(),
                p.attr("value").unwrap_or("").to_owned(),
            ))
        })
        .collect()
}

/// `camunda:formData` fields.
pub fn form_fields(el: &Element, problems: &mut Problems) -> Vec<FormField> {
    ext_elements(el, "formData")
        .flat_map(|f| f.children.iter())
        .filter(|c| is_ext(c.ns) && &*c.name == "formField")
        .filter_map(|f| {
            let id = f.attr("id")?.to_owned();
            let default_value = f.attr("defaultValue").and_then(|text| {
                expression(
                    text,
                    el,
                    &format!("defaultValue of form field '{id}'"),
                    problems,
                )
            });
            Some(FormField {
                id,
                field_type: f.attr("type").map(str::to_owned),
                default_value,
            })
        })
        .collect()
}

/// `camunda:inputOutput`.
pub fn io_mapping(el: &Element, problems: &mut Problems) -> Option<Box<IoMapping>> {
    let io = ext_elements(el, "inputOutput").next()?;
    let mut mapping = IoMapping::default();
    for param in io.children.iter().filter(|c| is_ext(c.ns)) {
        let Some(name) = param.attr("name") else {
            problems.error(
                at(el),
                format!("a camunda:{} has no 'name' attribute", param.name),
            );
            continue;
        };
        let value = param_value(param, el, name, problems);
        let parameter = Parameter {
            name: name.to_owned(),
            value,
        };
        match &*param.name {
            "inputParameter" => mapping.inputs.push(parameter),
            "outputParameter" => mapping.outputs.push(parameter),
            other => problems.warning(
                at(el),
                format!("camunda:{other} inside camunda:inputOutput is ignored"),
            ),
        }
    }
    Some(Box::new(mapping))
}

/// The value of a parameter or map entry: its text, or the one nested element.
fn param_value(
    param: &Element,
    owner: &Element,
    name: &str,
    problems: &mut Problems,
) -> ParamValue {
    match param.children.iter().find(|c| is_ext(c.ns)) {
        Some(child) => nested_value(child, owner, name, problems),
        None => text_value(param, owner, name, problems),
    }
}

/// Camunda trims the text of a parameter (`BpmnParseUtil.parseParamValueProvider`), so a
/// value written on its own indented line has no surrounding whitespace, and a lone
/// `${...}` keeps its type instead of becoming a string; empty text is null.
fn text_value(el: &Element, owner: &Element, name: &str, problems: &mut Problems) -> ParamValue {
    let text = el.text.trim();
    if text.is_empty() {
        return ParamValue::Null;
    }
    expression(text, owner, &format!("parameter '{name}'"), problems)
        .map_or(ParamValue::Null, ParamValue::Text)
}

/// A `camunda:value`, `camunda:list`, `camunda:map` or `camunda:script` element.
fn nested_value(el: &Element, owner: &Element, name: &str, problems: &mut Problems) -> ParamValue {
    match &*el.name {
        "value" => text_value(el, owner, name, problems),
        "list" => ParamValue::List(
            el.children
                .iter()
                .filter(|c| is_ext(c.ns))
                .map(|item| nested_value(item, owner, name, problems))
                .collect(),
        ),
        "map" => {
            let mut entries = Vec::new();
            for entry in el
                .children
                .iter()
                .filter(|c| is_ext(c.ns) && &*c.name == "entry")
            {
                let Some(key) = entry.attr("key") else {
                    problems.error(
                        at(owner),
                        format!("a camunda:entry of the map in parameter '{name}' has no 'key' attribute"),
                    );
                    continue;
                };
                let Some(key) = expression(
                    key,
                    owner,
                    &format!("map key in parameter '{name}'"),
                    problems,
                ) else {
                    continue;
                };
                entries.push((key, param_value(entry, owner, name, problems)));
            }
            ParamValue::Map(entries)
        }
        "script" => camunda_script(el, owner, &format!("parameter '{name}'"), problems)
            .map_or(ParamValue::Null, ParamValue::Script),
        other => {
            problems.error(
                at(owner),
                format!("parameter '{name}' contains an unknown element camunda:{other}"),
            );
            ParamValue::Null
        }
    }
}

/// The languages procos runs scripts in.
const JAVASCRIPT: &[&str] = &["javascript", "js", "ecmascript"];

/// A script in `format` (Camunda's `scriptFormat`; none means JUEL, Camunda's default).
pub fn script(
    format: Option<&str>,
    text: &str,
    owner: &Element,
    what: &str,
    problems: &mut Problems,
) -> Option<Script> {
    let format = format.map(str::trim).filter(|f| !f.is_empty());
    match format {
        None => expression(text.trim(), owner, what, problems).map(Script::Expression),
        Some(f) if f.eq_ignore_ascii_case("juel") => {
            expression(text.trim(), owner, what, problems).map(Script::Expression)
        }
        Some(f) if JAVASCRIPT.iter().any(|j| f.eq_ignore_ascii_case(j)) => {
            Some(Script::JavaScript(std::sync::Arc::from(text)))
        }
        Some(f) => {
            let why = if f.eq_ignore_ascii_case("feel") {
                "procos has no FEEL engine".to_owned()
            } else {
                format!("'{f}' scripts need a JVM script engine, which procos does not have")
            };
            problems.error(
                at(owner),
                format!("{what} is written in '{f}': {why}; use JavaScript (scriptFormat=\"javascript\"), an expression, or camunda:type=\"external\" with a worker"),
            );
            None
        }
    }
}

/// A `camunda:script` element (in listeners and input/output parameters).
pub fn camunda_script(
    el: &Element,
    owner: &Element,
    what: &str,
    problems: &mut Problems,
) -> Option<Script> {
    if let Some(resource) = el.attr("resource") {
        problems.error(
            at(owner),
            format!("{what} loads its script from '{resource}' (camunda:resource); procos runs only inline scripts"),
        );
        return None;
    }
    let Some(format) = el.attr("scriptFormat") else {
        problems.error(
            at(owner),
            format!("Missing attribute 'scriptFormat' for 'script' element ({what})"),
        );
        return None;
    };
    script(Some(format), &el.text, owner, what, problems)
}

/// `camunda:executionListener`s (and `camunda:taskListener`s) with an expression or a
/// script; Java ones are refused by [`refuse_java`].
pub fn listeners(el: &Element, problems: &mut Problems) -> Vec<Listener> {
    let mut out = Vec::new();
    for (kind, task) in [("executionListener", false), ("taskListener", true)] {
        for listener in ext_elements(el, kind) {
            if listener.attr("class").is_some() || listener.attr("delegateExpression").is_some() {
                continue;
            }
            let event_name = listener.attr("event").unwrap_or("");
            let event = match (task, event_name) {
                (false, "start") => ListenerEvent::Start,
                (false, "end") => ListenerEvent::End,
                (false, "take") => continue,
                (true, "create") => ListenerEvent::Create,
                (true, "complete") => ListenerEvent::Complete,
                (true, "delete") => ListenerEvent::Delete,
                (true, other @ ("assignment" | "update" | "timeout")) => {
                    problems.error(
                        at(el),
                        format!("a camunda:taskListener on '{other}' is not supported by procos (task assignment and updates happen outside the process); use 'create', 'complete' or 'delete'"),
                    );
                    continue;
                }
                (false, _) => {
                    problems.error(at(el), "Attribute 'event' must be one of {start|end}");
                    continue;
                }
                (true, _) => {
                    problems.error(
                        at(el),
                        "Attribute 'event' must be one of {create|assignment|complete|update|delete|timeout}",
                    );
                    continue;
                }
            };
            let what = format!("the {event_name} {kind}");
            let action = if let Some(expr) = listener.attr("expression") {
                expression(expr, el, &what, problems).map(Script::Expression)
            } else if let Some(s) = listener
                .children
                .iter()
                .find(|c| is_ext(c.ns) && &*c.name == "script")
            {
                camunda_script(s, el, &what, problems)
            } else {
                problems.error(
                    at(el),
                    format!("Element 'class', 'expression', 'delegateExpression' or 'script' is mandatory on {kind}"),
                );
                None
            };
            if let Some(action) = action {
                out.push(Listener {
                    event,
                    action,
                    task,
                });
            }
        }
    }
    out
}

/// `camunda:executionListener event="take"` on a sequence flow.
pub fn take_listeners(flow: &Element, problems: &mut Problems) -> Vec<Script> {
    let mut out = Vec::new();
    for listener in ext_elements(flow, "executionListener") {
        let what = "a take listener".to_owned();
        let action = if let Some(expr) = listener.attr("expression") {
            expression(expr, flow, &what, problems).map(Script::Expression)
        } else if let Some(s) = listener
            .children
            .iter()
            .find(|c| is_ext(c.ns) && &*c.name == "script")
        {
            camunda_script(s, flow, &what, problems)
        } else {
            None
        };
        out.extend(action);
    }
    out
}
