//! The semantics of the JUEL subset, one rule per test.

use chrono::NaiveDateTime;

use super::testing::MapContext;
use super::*;
use crate::time::Timestamp;
use crate::value::{Value, JSON_FORMAT};

fn ts(text: &str) -> Timestamp {
    let n = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3f").unwrap();
    Timestamp(n.and_utc().timestamp_millis())
}

fn parse(text: &str) -> Expression {
    Expression::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn eval_in(text: &str, ctx: &mut MapContext) -> ElValue {
    parse(text)
        .evaluate(ctx)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn eval(text: &str) -> ElValue {
    eval_in(text, &mut MapContext::new())
}

fn err_in(text: &str, ctx: &mut MapContext) -> EvalError {
    match parse(text).evaluate(ctx) {
        Ok(v) => panic!("{text} evaluated to {v:?}"),
        Err(e) => e,
    }
}

fn err(text: &str) -> EvalError {
    err_in(text, &mut MapContext::new())
}

fn cond_in(text: &str, ctx: &mut MapContext) -> bool {
    parse(text)
        .evaluate_condition(ctx)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn cond(text: &str) -> bool {
    cond_in(text, &mut MapContext::new())
}

fn s(text: &str) -> ElValue {
    ElValue::String(text.to_owned())
}

fn json_var(text: &str) -> Value {
    Value::Json(text.to_owned())
}

fn json_object(type_name: &str, text: &str) -> Value {
    Value::json_object(type_name, &serde_json::from_str(text).unwrap())
}

// ---- literals -------------------------------------------------------------------------

#[test]
fn integer_literals_are_long() {
    assert_eq!(eval("${5}"), ElValue::Long(5));
    assert_eq!(eval("${-5}"), ElValue::Long(-5));
}

#[test]
fn floating_literals_are_double() {
    assert_eq!(eval("${1.5}"), ElValue::Double(1.5));
    assert_eq!(eval("${1e3}"), ElValue::Double(1000.0));
    assert_eq!(eval("${.5}"), ElValue::Double(0.5));
}

#[test]
fn string_literals_take_either_quote_and_escape_quotes_and_backslashes() {
    assert_eq!(eval(r"${'it\'s'}"), s("it's"));
    assert_eq!(eval(r#"${"say \"hi\""}"#), s("say \"hi\""));
    assert_eq!(eval(r"${'a\\b'}"), s(r"a\b"));
    assert_eq!(eval("${'}'}"), s("}"));
}

#[test]
fn boolean_and_null_literals() {
    assert_eq!(eval("${true}"), ElValue::Bool(true));
    assert_eq!(eval("${false}"), ElValue::Bool(false));
    assert_eq!(eval("${null}"), ElValue::Null);
}

// ---- arithmetic -----------------------------------------------------------------------

#[test]
fn long_plus_long_is_long() {
    assert_eq!(eval("${5 + 5}"), ElValue::Long(10));
    assert_eq!(eval("${2 * 3 - 1}"), ElValue::Long(5));
}

#[test]
fn integer_variables_compute_as_long() {
    let mut ctx = MapContext::new().with_var("x", 5);
    assert_eq!(eval_in("${x + 5}", &mut ctx), ElValue::Long(10));
}

#[test]
fn division_always_yields_double() {
    assert_eq!(eval("${3/5}"), ElValue::Double(0.6));
    assert_eq!(eval("${10 div 2}"), ElValue::Double(5.0));
    assert!(cond("${3/5 >= 0.6}"));
}

#[test]
fn a_double_operand_makes_the_result_double() {
    assert_eq!(eval("${1 + 1.5}"), ElValue::Double(2.5));
    assert_eq!(eval("${2 * 0.5}"), ElValue::Double(1.0));
}

#[test]
fn numeric_strings_are_parsed_as_long_or_double() {
    assert_eq!(eval("${'5' + 1}"), ElValue::Long(6));
    assert_eq!(eval("${'1.5' + 1}"), ElValue::Double(2.5));
    assert_eq!(eval("${'1e1' * 2}"), ElValue::Double(20.0));
}

#[test]
fn null_counts_as_zero_in_arithmetic() {
    let mut ctx = MapContext::new().with_var("x", Value::Null);
    assert_eq!(eval_in("${x + 1}", &mut ctx), ElValue::Long(1));
    assert_eq!(eval("${null + null}"), ElValue::Long(0));
}

#[test]
fn non_numeric_operands_are_coercion_errors() {
    assert_eq!(
        err("${'abc' + 1}").to_string(),
        "Error while evaluating expression: ${'abc' + 1}. Cause: Cannot coerce 'abc' of class java.lang.String to class java.lang.Long"
    );
    assert_eq!(
        err("${true + 1}").to_string(),
        "Error while evaluating expression: ${true + 1}. Cause: Cannot coerce from class java.lang.Boolean to class java.lang.Long"
    );
}

#[test]
fn remainder_is_long_unless_a_double_is_involved() {
    assert_eq!(eval("${7 % 3}"), ElValue::Long(1));
    assert_eq!(eval("${7 mod 2.0}"), ElValue::Double(1.0));
    assert!(
        matches!(err("${7 % 0}"), EvalError::Arithmetic { message, .. } if message == "/ by zero")
    );
}

#[test]
fn double_division_by_zero_is_infinity_or_nan() {
    assert_eq!(eval("${1/0}"), ElValue::Double(f64::INFINITY));
    assert!(matches!(eval("${0/0}"), ElValue::Double(d) if d.is_nan()));
}

#[test]
fn long_overflow_wraps_like_java() {
    assert_eq!(eval("${9223372036854775807 + 1}"), ElValue::Long(i64::MIN));
}

#[test]
fn unary_minus_keeps_the_operand_type() {
    let mut ctx = MapContext::new().with_var("x", 5);
    assert_eq!(eval_in("${-x}", &mut ctx), ElValue::Int(-5));
    assert_eq!(eval("${-'2'}"), ElValue::Long(-2));
    assert_eq!(eval("${-'2.5'}"), ElValue::Double(-2.5));
}

// ---- comparisons ----------------------------------------------------------------------

#[test]
fn numbers_compare_numerically_across_types() {
    let mut ctx = MapContext::new()
        .with_var("amount", 150i64)
        .with_var("count", 5)
        .with_var("ratio", 0.5)
        .with_var("text", "150");
    assert!(cond_in("${amount > 100}", &mut ctx));
    assert!(cond_in("${count == 5.0}", &mut ctx));
    assert!(cond_in("${ratio < 1}", &mut ctx));
    assert!(cond_in("${text > 100}", &mut ctx));
    assert!(cond_in("${text == amount}", &mut ctx));
}

#[test]
fn null_equals_only_null_and_orders_with_nothing() {
    let mut ctx = MapContext::new().with_var("x", Value::Null);
    assert!(cond_in("${x == null}", &mut ctx));
    assert!(cond_in("${x != 1}", &mut ctx));
    assert!(!cond_in("${x == 0}", &mut ctx));
    assert!(!cond_in("${x < 1}", &mut ctx));
    assert!(!cond_in("${x >= 0}", &mut ctx));
    assert!(cond_in("${x <= null}", &mut ctx));
}

#[test]
fn strings_compare_lexicographically() {
    assert!(cond("${'abc' < 'abd'}"));
    assert!(cond("${'b' > 'a'}"));
    assert!(cond("${'Z' < 'a'}"));
    assert!(cond("${'same' == 'same'}"));
}

#[test]
fn boolean_against_string_coerces_the_string() {
    let mut ctx = MapContext::new().with_var("flag", true);
    assert!(cond_in("${flag == 'true'}", &mut ctx));
    assert!(cond_in("${'TRUE' == true}", &mut ctx));
    assert!(cond_in("${flag != 'no'}", &mut ctx));
}

#[test]
fn a_number_against_a_non_numeric_string_is_an_error() {
    assert!(matches!(err("${5 == 'abc'}"), EvalError::Coercion { .. }));
}

#[test]
fn dates_compare_by_instant() {
    let mut ctx = MapContext::new()
        .with_var("a", Value::Date(ts("2026-01-01T00:00:00.000")))
        .with_var("b", Value::Date(ts("2026-06-01T00:00:00.000")));
    assert!(cond_in("${a < b}", &mut ctx));
    assert!(cond_in("${a != b}", &mut ctx));
    assert!(cond_in("${a == a}", &mut ctx));
}

#[test]
fn word_operators_mean_the_same_as_symbols() {
    assert!(cond(
        "${1 lt 2 and 2 gt 1 and 1 eq 1 and 1 ne 2 and 1 le 1 and 2 ge 1 and not false}"
    ));
    assert!(cond("${false or true}"));
}

// ---- logic ----------------------------------------------------------------------------

#[test]
fn and_or_short_circuit() {
    assert!(!cond("${false && undefinedVariable}"));
    assert!(cond("${true || undefinedVariable}"));
    assert!(matches!(
        err("${true && undefinedVariable}"),
        EvalError::UnknownProperty { .. }
    ));
}

#[test]
fn logic_operands_coerce_to_boolean() {
    assert!(cond("${'TRUE' && true}"));
    assert!(!cond("${'yes' || false}"));
    assert!(!cond("${null || false}"));
    assert_eq!(
        err("${1 && true}").to_string(),
        "Error while evaluating expression: ${1 && true}. Cause: Cannot coerce from class java.lang.Long to class java.lang.Boolean"
    );
}

#[test]
fn negation() {
    let mut ctx = MapContext::new().with_var("approved", false);
    assert!(cond_in("${!approved}", &mut ctx));
    assert!(cond_in("${not approved}", &mut ctx));
    assert!(!cond_in("${!!approved}", &mut ctx));
}

#[test]
fn empty_is_true_for_null_empty_strings_and_empty_collections() {
    let mut ctx = MapContext::new()
        .with_var("none", Value::Null)
        .with_var("blank", "")
        .with_var("list", json_object("java.util.ArrayList", "[]"))
        .with_var("full", json_object("java.util.ArrayList", "[1]"))
        .with_var("word", "a");
    assert!(cond_in("${empty none}", &mut ctx));
    assert!(cond_in("${empty blank}", &mut ctx));
    assert!(cond_in("${empty list}", &mut ctx));
    assert!(!cond_in("${empty full}", &mut ctx));
    assert!(!cond_in("${empty word}", &mut ctx));
    assert!(cond_in("${not empty word}", &mut ctx));
    assert!(cond_in(
        "${empty execution.getVariables().get('missing')}",
        &mut ctx
    ));
}

#[test]
fn ternary_chooses_a_branch() {
    let mut ctx = MapContext::new().with_var("x", 3i64);
    assert_eq!(eval_in("${x > 1 ? 'big' : 'small'}", &mut ctx), s("big"));
    assert_eq!(
        eval_in("${x > 5 ? 'big' : x > 2 ? 'mid' : 'small'}", &mut ctx),
        s("mid")
    );
}

#[test]
fn parentheses_group() {
    assert_eq!(eval("${(1 + 2) * 3}"), ElValue::Long(9));
    assert_eq!(eval("${1 + 2 * 3}"), ElValue::Long(7));
    assert_eq!(eval("${10 - 2 - 3}"), ElValue::Long(5));
    assert_eq!(eval("${10 - (2 - 3)}"), ElValue::Long(11));
}

// ---- text -----------------------------------------------------------------------------

#[test]
fn composite_text_concatenates_string_coercions() {
    let mut ctx = MapContext::new()
        .with_var("gender", "male")
        .with_var("name", "Smith");
    assert_eq!(
        eval_in(
            "Hello ${gender == 'male' ? 'Mr.' : 'Mrs.'} ${name}",
            &mut ctx
        ),
        s("Hello Mr. Smith")
    );
}

#[test]
fn composite_text_prints_values_as_java_does() {
    let mut ctx = MapContext::new()
        .with_var("n", 5i64)
        .with_var("d", 5.0)
        .with_var("big", 1e10)
        .with_var("b", true)
        .with_var("x", Value::Null)
        .with_var("when", Value::Date(ts("2026-11-22T10:15:30.000")));
    assert_eq!(
        eval_in(
            "n=${n} d=${d} big=${big} b=${b} x=${x} when=${when}",
            &mut ctx
        ),
        s("n=5 d=5.0 big=1.0E10 b=true x= when=2026-11-22T10:15:30.000+0000")
    );
    assert_eq!(eval_in("My Task ${n/2}", &mut ctx), s("My Task 2.5"));
}

#[test]
fn a_single_expression_yields_its_value_not_a_string() {
    assert_eq!(eval("${5}"), ElValue::Long(5));
    assert_eq!(eval("${5}${5}"), s("55"));
    assert_eq!(eval(" ${5}"), s(" 5"));
}

#[test]
fn text_without_expressions_is_literal() {
    let e = parse("plain text");
    assert!(e.is_literal());
    assert_eq!(e.literal_text(), Some("plain text"));
    assert_eq!(e.evaluate(&mut MapContext::new()).unwrap(), s("plain text"));
    assert!(!parse("a ${b}").is_literal());
    assert_eq!(parse("").literal_text(), Some(""));
}

#[test]
fn a_backslash_escapes_an_expression_start() {
    let e = parse(r"\${x} and \#{y}");
    assert_eq!(e.literal_text(), Some("${x} and #{y}"));
    // Elsewhere backslashes are kept, as JUEL does.
    assert_eq!(parse(r"C:\dir \$5").literal_text(), Some(r"C:\dir \$5"));
}

#[test]
fn hash_braces_mean_the_same_as_dollar_braces() {
    let mut ctx = MapContext::new().with_var("a", 1i64);
    assert_eq!(eval_in("#{a + 1}", &mut ctx), eval_in("${a + 1}", &mut ctx));
    assert_eq!(eval_in("#{a}-${a}", &mut ctx), s("1-1"));
}

// ---- properties and JSON --------------------------------------------------------------

#[test]
fn json_variables_are_navigated_by_property_and_index() {
    let mut ctx = MapContext::new().with_var(
        "orders",
        json_var(r#"[{"price": 120, "id": "a"}, {"price": 80.5, "id": "b"}]"#),
    );
    assert!(cond_in("${orders[1].price <= 100}", &mut ctx));
    assert_eq!(eval_in("${orders[0].price}", &mut ctx), ElValue::Long(120));
    assert_eq!(eval_in("${orders[1]['id']}", &mut ctx), s("b"));
    // A container inside a Json variable stays a JSON node.
    assert_eq!(
        eval_in("${orders[0]}", &mut ctx),
        ElValue::Typed(json_var(r#"{"id":"a","price":120}"#))
    );
}

#[test]
fn missing_json_properties_and_indexes_read_as_null() {
    let mut ctx = MapContext::new().with_var("order", json_var(r#"{"items": [1, 2]}"#));
    assert_eq!(eval_in("${order.customer}", &mut ctx), ElValue::Null);
    assert_eq!(eval_in("${order.customer.name}", &mut ctx), ElValue::Null);
    assert_eq!(eval_in("${order.items[5]}", &mut ctx), ElValue::Null);
    assert_eq!(eval_in("${order.items[-1]}", &mut ctx), ElValue::Null);
    assert_eq!(eval_in("${order.items.size()}", &mut ctx), ElValue::Int(2));
}

#[test]
fn json_serialized_objects_become_lists_and_maps() {
    let mut ctx = MapContext::new().with_var(
        "order",
        json_object(
            "com.acme.Order",
            r#"{"customer": {"name": "Ann"}, "items": [1, 2.5]}"#,
        ),
    );
    assert_eq!(eval_in("${order.customer.name}", &mut ctx), s("Ann"));
    assert_eq!(
        eval_in("${order.items}", &mut ctx),
        ElValue::List(vec![ElValue::Long(1), ElValue::Double(2.5)])
    );
    assert_eq!(
        eval_in("${order.getCustomer().getName()}", &mut ctx),
        s("Ann")
    );
}

#[test]
fn property_of_null_is_null_but_a_method_on_null_is_an_error() {
    let mut ctx = MapContext::new().with_var("x", Value::Null);
    assert_eq!(eval_in("${x.y.z}", &mut ctx), ElValue::Null);
    assert_eq!(eval_in("${x[0]}", &mut ctx), ElValue::Null);
    assert_eq!(
        err_in("${x.equals('a')}", &mut ctx).to_string(),
        "Unknown property used in expression: ${x.equals('a')}. Cause: Target unreachable, base expression 'x' resolved to null"
    );
}

#[test]
fn lists_index_by_number_or_numeric_string_and_read_null_past_the_end() {
    let mut ctx =
        MapContext::new().with_var("l", json_object("java.util.ArrayList", r#"["a","b"]"#));
    assert_eq!(eval_in("${l[1]}", &mut ctx), s("b"));
    assert_eq!(eval_in("${l['1']}", &mut ctx), s("b"));
    assert_eq!(eval_in("${l[2]}", &mut ctx), ElValue::Null);
    assert!(matches!(
        err_in("${l['x']}", &mut ctx),
        EvalError::Failed { .. }
    ));
}

#[test]
fn bean_style_properties_call_getters() {
    let mut ctx = MapContext::new().with_var("d", Value::Date(Timestamp(42)));
    assert_eq!(eval_in("${d.time}", &mut ctx), ElValue::Long(42));
    assert_eq!(eval_in("${'abc'['blank']}", &mut ctx), ElValue::Bool(false));
    assert_eq!(
        err_in("${d.nothing}", &mut ctx).to_string(),
        "Unknown property used in expression: ${d.nothing}. Cause: Could not find property nothing in class java.util.Date"
    );
}

#[test]
fn unknown_identifier_error_text_matches_camunda() {
    assert_eq!(
        err("${x}").to_string(),
        "Unknown property used in expression: ${x}. Cause: Cannot resolve identifier 'x'"
    );
    assert_eq!(
        err("${x}"),
        EvalError::UnknownProperty {
            expression: "${x}".into(),
            identifier: "x".into()
        }
    );
}

// ---- execution and other beans --------------------------------------------------------

#[test]
fn execution_reads_variables() {
    let mut ctx = MapContext::new()
        .with_var("x", "parent")
        .with_local_var("y", 2i64);
    assert_eq!(
        eval_in("${execution.getVariable('x')}", &mut ctx),
        s("parent")
    );
    assert_eq!(
        eval_in("${execution.getVariable('nope')}", &mut ctx),
        ElValue::Null
    );
    assert!(cond_in("${execution.hasVariable('x')}", &mut ctx));
    assert!(!cond_in("${execution.hasVariable('nope')}", &mut ctx));
    assert_eq!(
        eval_in("${execution.getVariableLocal('x')}", &mut ctx),
        ElValue::Null
    );
    assert!(cond_in("${execution.hasVariableLocal('y')}", &mut ctx));
}

#[test]
fn execution_properties_and_getters_ask_the_context() {
    let mut ctx = MapContext::new()
        .with_bean_property(Bean::Execution, "processBusinessKey", "order-7")
        .with_bean_property(Bean::Execution, "processInstanceId", "pi-1")
        .with_bean_property(Bean::Execution, "suspended", false);
    assert_eq!(
        eval_in("#{execution.processBusinessKey}", &mut ctx),
        s("order-7")
    );
    assert_eq!(
        eval_in("${execution.getProcessInstanceId()}", &mut ctx),
        s("pi-1")
    );
    assert_eq!(
        eval_in("${execution.isSuspended()}", &mut ctx),
        ElValue::Bool(false)
    );
    assert_eq!(
        err_in("${execution.activityName}", &mut ctx).to_string(),
        "Unknown property used in expression: ${execution.activityName}. Cause: Could not find property activityName in class org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity"
    );
    assert!(matches!(
        err_in("${execution.getActivityName()}", &mut ctx),
        EvalError::UnknownMethod { .. }
    ));
}

#[test]
fn set_variable_writes_through_the_context() {
    let mut ctx = MapContext::new().with_local_var("local", 1i64);
    let e = parse("${execution.setVariable('a', 1)}");
    assert!(e.is_method_expression());
    assert_eq!(e.evaluate(&mut ctx).unwrap(), ElValue::Null);
    assert_eq!(ctx.parent.get("a"), Some(&Value::Long(1)));
    eval_in("${execution.setVariable('local', 'x')}", &mut ctx);
    assert_eq!(ctx.local.get("local"), Some(&Value::from("x")));
    eval_in("${execution.setVariableLocal('b', true)}", &mut ctx);
    assert_eq!(ctx.local.get("b"), Some(&Value::Boolean(true)));
    eval_in("${execution.removeVariable('a')}", &mut ctx);
    assert_eq!(ctx.var("a"), None);
}

#[test]
fn get_variables_is_a_map_and_get_variable_names_a_list() {
    let mut ctx = MapContext::new().with_var("a", 1i64).with_var("b", "x");
    assert_eq!(
        eval_in("${execution.getVariables()}", &mut ctx),
        ElValue::Map(vec![("a".into(), ElValue::Long(1)), ("b".into(), s("x"))])
    );
    assert_eq!(eval_in("${execution.variables.b}", &mut ctx), s("x"));
    assert_eq!(
        eval_in("${execution.getVariableNames()}", &mut ctx),
        ElValue::List(vec![s("a"), s("b")])
    );
}

#[test]
fn task_beans_have_getters_and_setters() {
    let mut ctx = MapContext::new()
        .with_beans(&[Bean::Task])
        .with_bean_property(Bean::Task, "assignee", "ann");
    assert_eq!(eval_in("${task.getAssignee()}", &mut ctx), s("ann"));
    eval_in("${task.setAssignee('bob')}", &mut ctx);
    assert_eq!(ctx.property(Bean::Task, "assignee"), Some(&s("bob")));
    // `execution` is not available in this context.
    assert!(matches!(
        err_in("${execution}", &mut ctx),
        EvalError::UnknownProperty { .. }
    ));
}

// ---- methods on values ----------------------------------------------------------------

#[test]
fn string_methods() {
    let mut ctx = MapContext::new()
        .with_var("clarified", "yes")
        .with_var("name", " Ann Lee ");
    assert!(cond_in("${clarified.equals('yes')}", &mut ctx));
    assert!(!cond_in("${!clarified.equals('yes')}", &mut ctx));
    assert!(cond_in("${clarified.equalsIgnoreCase('YES')}", &mut ctx));
    assert!(cond_in("${name.contains('Lee')}", &mut ctx));
    assert!(cond_in("${name.trim().startsWith('Ann')}", &mut ctx));
    assert!(cond_in("${name.endsWith(' ')}", &mut ctx));
    assert!(cond_in("${''.isEmpty()}", &mut ctx));
    assert!(cond_in("${'  '.isBlank()}", &mut ctx));
    assert_eq!(eval_in("${name.length()}", &mut ctx), ElValue::Int(9));
    assert_eq!(
        eval_in("${name.trim().toUpperCase()}", &mut ctx),
        s("ANN LEE")
    );
    assert_eq!(eval_in("${'AbC'.toLowerCase()}", &mut ctx), s("abc"));
    assert_eq!(eval_in("${'hello'.substring(1)}", &mut ctx), s("ello"));
    assert_eq!(eval_in("${'hello'.substring(1, 3)}", &mut ctx), s("el"));
    assert_eq!(
        eval_in("${'hello'.indexOf('l')}", &mut ctx),
        ElValue::Int(2)
    );
    assert_eq!(
        eval_in("${'hello'.lastIndexOf('l')}", &mut ctx),
        ElValue::Int(3)
    );
    assert_eq!(
        eval_in("${'a-b-c'.replace('-', '+')}", &mut ctx),
        s("a+b+c")
    );
    assert_eq!(eval_in("${'ab'.concat('cd')}", &mut ctx), s("abcd"));
    assert_eq!(eval_in("${'a'.compareTo('c')}", &mut ctx), ElValue::Int(-2));
    assert_eq!(eval_in("${5 .toString()}", &mut ctx), s("5"));
}

#[test]
fn string_equals_is_type_strict_like_java() {
    // `==` coerces, `equals` does not: the Long 5 is not the String "5".
    let mut ctx = MapContext::new().with_var("x", "5").with_var("i", 5);
    assert!(cond_in("${x == 5}", &mut ctx));
    assert!(!cond_in("${x.equals(5)}", &mut ctx));
    // An Integer variable is not equal to the Long literal 5 either.
    assert!(!cond_in("${i.equals(5)}", &mut ctx));
    assert!(cond_in("${i.equals(i)}", &mut ctx));
}

#[test]
fn string_method_failures() {
    assert_eq!(
        err("${'abc'.substring(5)}").to_string(),
        "Error while evaluating expression: ${'abc'.substring(5)}. Cause: begin 5, end 3, length 3"
    );
    assert!(matches!(
        err("${'abc'.matches('a.*')}"),
        EvalError::Unsupported { .. }
    ));
}

#[test]
fn unknown_method_names_the_method_and_class() {
    let mut ctx = MapContext::new().with_var("name", "x");
    assert_eq!(
        err_in("${name.foo()}", &mut ctx).to_string(),
        "Unknown method used in expression: ${name.foo()}. Cause: Cannot find method 'foo' in 'class java.lang.String'"
    );
    // A known name with the wrong number of arguments is not found either.
    assert!(matches!(
        err_in("${name.substring()}", &mut ctx),
        EvalError::UnknownMethod { .. }
    ));
}

#[test]
fn list_and_map_methods() {
    let mut ctx = MapContext::new()
        .with_var("l", json_object("java.util.ArrayList", r#"["a","b"]"#))
        .with_var("m", json_object("java.util.HashMap", r#"{"k": 1}"#));
    assert_eq!(eval_in("${l.size()}", &mut ctx), ElValue::Int(2));
    assert!(cond_in("${l.contains('b')}", &mut ctx));
    assert_eq!(eval_in("${l.get(0)}", &mut ctx), s("a"));
    assert!(matches!(
        err_in("${l.get(2)}", &mut ctx),
        EvalError::Failed { .. }
    ));
    assert!(!cond_in("${l.isEmpty()}", &mut ctx));
    assert!(cond_in("${m.containsKey('k')}", &mut ctx));
    assert_eq!(eval_in("${m.get('k')}", &mut ctx), ElValue::Long(1));
    assert_eq!(eval_in("${m.get('z')}", &mut ctx), ElValue::Null);
    assert_eq!(
        eval_in("${m.keySet()}", &mut ctx),
        ElValue::List(vec![s("k")])
    );
    assert_eq!(
        eval_in("${m.values()}", &mut ctx),
        ElValue::List(vec![ElValue::Long(1)])
    );
    assert_eq!(eval_in("${m.size()}", &mut ctx), ElValue::Int(1));
    assert_eq!(eval_in("${m['k']}", &mut ctx), ElValue::Long(1));
    assert_eq!(
        eval_in("list ${l} map ${m}", &mut ctx),
        s(r#"list ["a","b"] map {"k":1}"#)
    );
    assert_eq!(
        eval_in("${execution.getVariables()}", &mut ctx)
            .into_value()
            .type_name(),
        "Object"
    );
}

#[test]
fn date_methods() {
    let mut ctx = MapContext::new()
        .with_now(Timestamp(5_000))
        .with_var("due", Value::Date(Timestamp(10_000)));
    assert_eq!(eval_in("${due.getTime()}", &mut ctx), ElValue::Long(10_000));
    assert!(cond_in("${now().before(due)}", &mut ctx));
    assert!(cond_in("${due.after(now())}", &mut ctx));
    assert_eq!(
        eval_in("${due.compareTo(now())}", &mut ctx),
        ElValue::Int(1)
    );
    assert_eq!(
        eval_in("${now()}", &mut ctx),
        ElValue::Date(Timestamp(5_000))
    );
}

// ---- functions ------------------------------------------------------------------------

#[test]
fn date_time_plus_days_to_date_with_a_fixed_now() {
    let now = ts("2026-11-20T10:15:30.000");
    let mut ctx = MapContext::new().with_now(now);
    assert_eq!(
        eval_in("${dateTime().plusDays(2).toDate()}", &mut ctx),
        ElValue::Date(ts("2026-11-22T10:15:30.000"))
    );
    assert_eq!(
        eval_in(
            "${dateTime().plusWeeks(1).minusHours(1).toString()}",
            &mut ctx
        ),
        s("2026-11-27T09:15:30.000Z")
    );
    assert_eq!(
        eval_in("${dateTime().getDayOfWeek()}", &mut ctx),
        ElValue::Int(5)
    );
    assert_eq!(
        eval_in("${dateTime().getMonthOfYear()}", &mut ctx),
        ElValue::Int(11)
    );
    assert_eq!(
        eval_in("${dateTime().withTimeAtStartOfDay().getMillis()}", &mut ctx),
        ElValue::Long(ts("2026-11-20T00:00:00.000").millis())
    );
    assert!(cond_in(
        "${dateTime().plusMinutes(1).isAfter(dateTime())}",
        &mut ctx
    ));
    assert!(cond_in(
        "${dateTime().isBefore(dateTime().plusMillis(1).toDate())}",
        &mut ctx
    ));
}

#[test]
fn month_arithmetic_clamps_to_the_end_of_the_month() {
    let mut ctx = MapContext::new().with_now(ts("2024-01-31T08:00:00.000"));
    assert_eq!(
        eval_in("${dateTime().plusMonths(1).toString()}", &mut ctx),
        s("2024-02-29T08:00:00.000Z")
    );
    assert_eq!(
        eval_in(
            "${dateTime().plusMonths(1).plusYears(1).toString()}",
            &mut ctx
        ),
        s("2025-02-28T08:00:00.000Z")
    );
    assert_eq!(
        eval_in("${dateTime().minusMonths(2).toString()}", &mut ctx),
        s("2023-11-30T08:00:00.000Z")
    );
}

#[test]
fn current_user_and_groups() {
    let mut ctx = MapContext::new().with_user("ann", &["sales", "hr"]);
    assert_eq!(eval_in("${currentUser()}", &mut ctx), s("ann"));
    assert_eq!(eval_in("${authenticatedUserId}", &mut ctx), s("ann"));
    assert_eq!(
        eval_in("${currentUserGroups()}", &mut ctx),
        ElValue::List(vec![s("sales"), s("hr")])
    );
    assert_eq!(eval("${currentUser()}"), ElValue::Null);
}

#[test]
fn spin_json_nodes() {
    let doc = r#"{"name": "Ann", "age": 41, "vip": true, "none": null}"#;
    let mut ctx = MapContext::new()
        .with_var("text", doc)
        .with_var("collection", json_var(r#"{"collection": ["a", "b"]}"#));
    assert_eq!(
        eval_in("${S(text).prop('name').stringValue()}", &mut ctx),
        s("Ann")
    );
    assert_eq!(
        eval_in("${JSON(text).prop('age').numberValue()}", &mut ctx),
        ElValue::Long(41)
    );
    assert!(cond_in("${S(text).prop('vip').boolValue()}", &mut ctx));
    assert!(cond_in("${S(text).prop('none').isNull()}", &mut ctx));
    assert!(cond_in(
        "${S(text).hasProp('age') && !S(text).hasProp('x')}",
        &mut ctx
    ));
    assert_eq!(
        eval_in("${S(text).prop('name').value()}", &mut ctx),
        s("Ann")
    );
    let elements = eval_in("${collection.prop(\"collection\").elements()}", &mut ctx);
    assert_eq!(
        elements,
        ElValue::List(vec![
            ElValue::Typed(json_var("\"a\"")),
            ElValue::Typed(json_var("\"b\""))
        ])
    );
    assert_eq!(
        eval_in(
            "${collection.prop('collection').elements().size()}",
            &mut ctx
        ),
        ElValue::Int(2)
    );
    assert!(matches!(
        err_in("${S(text).prop('x')}", &mut ctx),
        EvalError::Failed { .. }
    ));
}

#[test]
fn unknown_functions_fail() {
    assert_eq!(
        err("${foo(1)}").to_string(),
        "Error while evaluating expression: ${foo(1)}. Cause: Could not resolve function 'foo'"
    );
    assert!(
        matches!(err("${fn:upper('a')}"), EvalError::UnknownFunction { function, .. } if function == "fn:upper")
    );
}

// ---- conditions and strings -----------------------------------------------------------

#[test]
fn conditions_must_be_boolean() {
    let mut ctx = MapContext::new().with_var("x", Value::Null);
    assert_eq!(
        parse("${'yes'}").evaluate_condition(&mut ctx).unwrap_err().to_string(),
        "condition expression returns non-Boolean: result has class java.lang.String and not java.lang.Boolean"
    );
    assert_eq!(
        parse("${5}").evaluate_condition(&mut ctx).unwrap_err().to_string(),
        "condition expression returns non-Boolean: result has class java.lang.Long and not java.lang.Boolean"
    );
    assert_eq!(
        parse("${x}")
            .evaluate_condition(&mut ctx)
            .unwrap_err()
            .to_string(),
        "condition expression returns null: result is null"
    );
    // Without ${} the text is a String, as in Camunda.
    assert!(matches!(
        parse("true").evaluate_condition(&mut ctx),
        Err(EvalError::NonBooleanCondition { .. })
    ));
}

#[test]
fn evaluate_to_string_maps_null_to_none() {
    let mut ctx = MapContext::new()
        .with_var("x", Value::Null)
        .with_var("n", 5i64)
        .with_var("topic", "orders");
    assert_eq!(parse("${x}").evaluate_to_string(&mut ctx).unwrap(), None);
    assert_eq!(
        parse("${n}").evaluate_to_string(&mut ctx).unwrap(),
        Some("5".into())
    );
    assert_eq!(
        parse("${topic}").evaluate_to_string(&mut ctx).unwrap(),
        Some("orders".into())
    );
    assert_eq!(
        parse("fixed").evaluate_to_string(&mut ctx).unwrap(),
        Some("fixed".into())
    );
    assert_eq!(
        parse("t-${x}").evaluate_to_string(&mut ctx).unwrap(),
        Some("t-".into())
    );
}

#[test]
fn results_convert_to_variable_values() {
    assert_eq!(eval("${5 + 5}").into_value(), Value::Long(10));
    let mut ctx = MapContext::new().with_now(Timestamp(7));
    assert_eq!(
        eval_in("${dateTime()}", &mut ctx).into_value(),
        Value::Date(Timestamp(7))
    );
    match eval_in("${currentUserGroups()}", &mut ctx).into_value() {
        Value::Object(o) => {
            assert_eq!(o.type_name.as_deref(), Some("java.util.ArrayList"));
            assert_eq!(o.format.as_deref(), Some(JSON_FORMAT));
        }
        other => panic!("{other:?}"),
    }
}

// ---- parsing --------------------------------------------------------------------------

#[test]
fn parse_errors_report_juel_positions() {
    let e = Expression::parse("${a +}").unwrap_err();
    assert_eq!(
        e.message,
        "Error parsing '${a +}': syntax error at position 5, encountered '}', expected \
         <IDENTIFIER>|<STRING>|<FLOAT>|<INTEGER>|'true'|'false'|'null'|'-'|'!'|'not'|'empty'|'('"
    );
    assert_eq!(e.column, 6);
    let e = Expression::parse("Hi ${a b}").unwrap_err();
    assert_eq!(
        e.message,
        "Error parsing 'Hi ${a b}': syntax error at position 7, encountered 'b', expected '}'"
    );
    let e = Expression::parse("${a").unwrap_err();
    assert!(
        e.message.ends_with("encountered <EOF>, expected '}'"),
        "{}",
        e.message
    );
    let e = Expression::parse("${'abc}").unwrap_err();
    assert!(e
        .message
        .contains("lexical error at position 2, encountered unterminated string"));
    let e = Expression::parse("${a = b}").unwrap_err();
    assert!(e.message.contains("invalid character '='"), "{}", e.message);
    assert_eq!(e.column, 5);
    assert!(Expression::parse("${x instanceof y}").is_err());
    assert!(Expression::parse("${}").is_err());
}

#[test]
fn positions_count_characters_not_bytes() {
    let e = Expression::parse("ünïcödé ${a +}").unwrap_err();
    assert_eq!(e.column, 14);
}

#[test]
fn deep_nesting_is_a_parse_error_not_a_stack_overflow() {
    for text in [
        format!("${{{}1{}}}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("${{{}x}}", "!".repeat(10_000)),
        format!("${{{}x}}", "-".repeat(10_000)),
        format!("${{{}}}", "a ? ".repeat(10_000)),
        format!("${{x{}}}", ".f(x".repeat(10_000)),
        format!("${{{}}}", "a == ".repeat(10_000) + "a"),
        format!("${{{}1}}", "a || b && c == d < e + f * (".repeat(1_000)),
    ] {
        let e = Expression::parse(&text).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
        // The message stays readable.
        assert!(e.message.len() < 400);
    }
    assert!(Expression::parse(&format!("${{{}1{}}}", "(".repeat(150), ")".repeat(150))).is_ok());
}

#[test]
fn expressions_nested_close_to_the_limit_evaluate() {
    // Each level here costs two units: the parenthesis and the operator's operand.
    let n = 95;
    let sum = format!("${{{}1{}}}", "(1 + ".repeat(n), ")".repeat(n));
    assert_eq!(eval(&sum), ElValue::Long(n as i64 + 1));
    let n = 190;
    let calls = format!("${{{}'x'{}}}", "'a'.concat(".repeat(n), ")".repeat(n));
    assert_eq!(eval(&calls), ElValue::String("a".repeat(n) + "x"));
    let nots = format!("${{{}true}}", "!".repeat(n));
    assert!(cond(&nots));
}

#[test]
fn long_flat_expressions_are_fine() {
    let sum = format!("${{1{}}}", " + 1".repeat(20_000));
    assert_eq!(eval(&sum), ElValue::Long(20_001));
    let ors = format!("${{{}true}}", "false || ".repeat(20_000));
    assert!(cond(&ors));
    let long_string = format!("${{'{}'.length()}}", "x".repeat(100_000));
    assert_eq!(eval(&long_string), ElValue::Int(100_000));
    let path = format!("${{execution{}}}", ".getVariables()".repeat(1_000));
    assert!(Expression::parse(&path).is_ok());
}

#[test]
fn namespaced_functions_parse_but_a_colon_alone_is_the_ternary() {
    assert!(Expression::parse("${fn:upper(x)}").is_ok());
    let mut ctx = MapContext::new().with_var("a", 1i64).with_var("b", 2i64);
    assert_eq!(eval_in("${true ? a : b}", &mut ctx), ElValue::Long(1));
}

// ---- deploy-time checks ---------------------------------------------------------------

#[test]
fn check_flags_bean_calls() {
    assert_eq!(
        parse("${orderService.validate(order)}").check(),
        vec![
            "`${orderService.validate(order)}` calls method 'validate' on 'orderService', which \
             looks like a Java bean; procos has no beans: use camunda:type=\"external\" with a \
             worker, or a process variable"
                .to_string()
        ]
    );
    assert_eq!(parse("${myBean.execute(execution)}").check().len(), 1);
    assert_eq!(
        parse("Mail: ${mailer.render(x)} ${other.send()}")
            .check()
            .len(),
        2
    );
    assert_eq!(parse("${execution.doSomething()}").check().len(), 1);
}

#[test]
fn check_accepts_value_methods_and_engine_beans() {
    for ok in [
        "${var.equals('yes')}",
        "${!clarified.equals('yes')}",
        "${name.toUpperCase().trim()}",
        "${execution.getVariable('x')}",
        "${execution.setVariable('x', 1)}",
        "${execution.getProcessInstanceId()}",
        "${task.setAssignee('ann')}",
        "${dateTime().plusDays(2).toDate()}",
        "${S(json).prop('a').stringValue()}",
        "${now()} ${currentUser()} ${currentUserGroups()} ${XML(x)} ${JSON(x)}",
        "${myDelegate}",
        "plain text",
    ] {
        assert_eq!(parse(ok).check(), Vec::<String>::new(), "{ok}");
    }
}

#[test]
fn check_flags_unknown_functions_and_namespaces() {
    let problems = parse("${fn:upper(a)} ${foo()} ${now(1)}").check();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("function namespace 'fn'"));
    assert!(problems[1].contains("calls function 'foo'"));
    assert!(problems[2].contains("now() with 1 argument(s)"));
}

// ---- the Expression value -------------------------------------------------------------

#[test]
fn expressions_compare_display_and_serialize_as_their_text() {
    let e = parse("${a + 1}");
    assert_eq!(e, parse("${a + 1}"));
    assert_eq!(e.to_string(), "${a + 1}");
    assert_eq!(e.source(), "${a + 1}");
    let json = serde_json::to_string(&e).unwrap();
    assert_eq!(json, "\"${a + 1}\"");
    let back: Expression = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
    assert!(serde_json::from_str::<Expression>("\"${a +}\"").is_err());
    assert_eq!(
        parse("${myDelegate}").single_identifier(),
        Some("myDelegate")
    );
    assert_eq!(parse("${a.b}").single_identifier(), None);
    assert!(!parse("${now()}").is_method_expression());
}

// ---- robustness -----------------------------------------------------------------------

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn context() -> MapContext {
        MapContext::new()
            .with_var("a", 1i64)
            .with_var("s", "text")
            .with_var("d", 2.5)
            .with_var("j", json_var(r#"{"x": [1, {"y": "z"}], "n": null}"#))
            .with_var("o", json_object("java.util.HashMap", r#"{"k": [1, 2]}"#))
            .with_var("t", Value::Date(Timestamp(i64::MAX)))
            .with_now(Timestamp(i64::MIN / 2))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn parse_never_panics(text in "\\PC{0,60}") {
            let _ = Expression::parse(&text);
        }

        #[test]
        fn evaluation_never_panics(
            body in "[a-z0-9 ()\\[\\].,'\"!?:<>=&|+*/%-]{0,40}",
            hash in any::<bool>(),
        ) {
            let text = format!("{}{{{body}}}", if hash { '#' } else { '$' });
            if let Ok(e) = Expression::parse(&text) {
                let mut ctx = context();
                let _ = e.evaluate(&mut ctx);
                let _ = e.evaluate_condition(&mut ctx);
                let _ = e.evaluate_to_string(&mut ctx);
                let _ = e.check();
            }
        }

        #[test]
        fn method_chains_never_panic(
            base in prop::sample::select(vec!["a", "s", "d", "j", "o", "t", "dateTime()", "now()", "execution", "S(s)", "'x'"]),
            method in prop::sample::select(vec![
                "substring(-1)", "substring(9, 2)", "plusYears(2147483647)", "plusMillis(-2147483648)",
                "get(-1)", "get(99)", "indexOf('', 99)", "prop('x')", "elements()", "getMillis()",
                "toString()", "compareTo(null)", "numberValue()", "keySet()", "getDayOfWeek()",
                "lastIndexOf('')", "withTimeAtStartOfDay()", "isBefore(null)", "charAt(0)",
            ]),
            steps in 1usize..4,
        ) {
            let chain = vec![method; steps].join(".");
            let text = format!("${{{base}.{chain}}}");
            let e = Expression::parse(&text).unwrap();
            let _ = e.evaluate(&mut context());
        }
    }
}
