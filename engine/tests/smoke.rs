mod support;
use procos_engine::value::Value;
use support::*;

#[test]
fn smoke_external_task_then_end() {
    let xml = process(
        r#"<startEvent id="start"/>
           <serviceTask id="work" camunda:type="external" camunda:topic="jobs"/>
           <exclusiveGateway id="gw"/>
           <endEvent id="big"/><endEvent id="small"/>"#,
        "start -> work -> gw; gw -> big [${amount > 100}]; gw -> small [default]",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("amount", Value::Long(5))]));
    assert_eq!(h.external_tasks(), ["jobs@work"], "{}", h.dump());
    h.complete("work", vars(&[("amount", Value::Long(500))]));
    assert!(h.ended(), "{}", h.dump());
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:work",
            "end:work",
            "start:gw",
            "end:gw",
            "start:big",
            "end:big",
            "instance-end"
        ]
    );
}
