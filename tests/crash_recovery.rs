//! `kill -9` in the middle of a load of starts and completions, then a restart on the same
//! store: every acknowledged start and completion is there, nothing is half applied, and
//! every instance still runs to its end.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{bpmn, Server, Store, PATIENCE};

on_both_stores!(a_killed_server_loses_no_acknowledged_work_and_applies_nothing_by_halves);

/// Clients of each kind during the load.
const CLIENTS: usize = 4;
/// The server is killed once this many completions were acknowledged.
const KILL_AFTER: usize = 150;

/// A completion the server acknowledged with 204.
#[derive(Debug, Clone)]
struct Completed {
    task: String,
    instance: String,
    activity: String,
}

#[derive(Default)]
struct Acknowledged {
    starts: Mutex<Vec<String>>,
    completions: Mutex<Vec<Completed>>,
}

/// What history and the runtime say about one instance.
#[derive(Debug, Default)]
struct Seen {
    state: String,
    /// activity id → finished?
    activities: BTreeMap<String, bool>,
    /// Activity instances per activity (to spot one applied twice).
    activity_count: BTreeMap<String, usize>,
    variables: BTreeSet<String>,
    running: bool,
    /// Open external tasks: (id, activity).
    tasks: Vec<(String, String)>,
}

async fn world(server: &Server, definition: &str) -> BTreeMap<String, Seen> {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let list = |path: String| async move {
        server
            .get(&path)
            .await
            .expect(200)
            .json
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    for h in list(format!(
        "/history/process-instance?processDefinitionId={definition}"
    ))
    .await
    {
        let entry = seen
            .entry(h["id"].as_str().unwrap_or("").to_owned())
            .or_default();
        entry.state = h["state"].as_str().unwrap_or("").to_owned();
    }
    for a in list(format!(
        "/history/activity-instance?processDefinitionId={definition}"
    ))
    .await
    {
        let entry = seen
            .entry(a["processInstanceId"].as_str().unwrap_or("").to_owned())
            .or_default();
        let activity = a["activityId"].as_str().unwrap_or("").to_owned();
        *entry.activity_count.entry(activity.clone()).or_default() += 1;
        entry.activities.insert(activity, a["endTime"].is_string());
    }
    for v in list(format!(
        "/history/variable-instance?processDefinitionId={definition}"
    ))
    .await
    {
        seen.entry(v["processInstanceId"].as_str().unwrap_or("").to_owned())
            .or_default()
            .variables
            .insert(v["name"].as_str().unwrap_or("").to_owned());
    }
    for i in list(format!(
        "/process-instance?processDefinitionId={definition}"
    ))
    .await
    {
        seen.entry(i["id"].as_str().unwrap_or("").to_owned())
            .or_default()
            .running = true;
    }
    for t in list(format!("/external-task?processDefinitionId={definition}")).await {
        seen.entry(t["processInstanceId"].as_str().unwrap_or("").to_owned())
            .or_default()
            .tasks
            .push((
                t["id"].as_str().unwrap_or("").to_owned(),
                t["activityId"].as_str().unwrap_or("").to_owned(),
            ));
    }
    seen
}

/// The states an instance of start → a → b → end may be in between commands. Anything
/// else is a command applied by halves.
fn assert_whole(instance: &str, s: &Seen) {
    let finished = |a: &str| s.activities.get(a) == Some(&true);
    let open = |a: &str| s.activities.get(a) == Some(&false);
    let context = format!("instance {instance}: {s:?}");
    assert!(
        s.activity_count.values().all(|&n| n == 1),
        "an activity ran twice: {context}"
    );
    assert!(s.variables.contains("n"), "start variable lost: {context}");
    match s.state.as_str() {
        "COMPLETED" => {
            assert!(!s.running && s.tasks.is_empty(), "{context}");
            assert!(
                ["start", "a", "b", "end"].iter().all(|a| finished(a)),
                "{context}"
            );
            assert!(
                s.variables.contains("aDone") && s.variables.contains("bDone"),
                "{context}"
            );
        }
        "ACTIVE" => {
            assert!(
                s.running,
                "history says active, the runtime has no instance: {context}"
            );
            assert_eq!(s.tasks.len(), 1, "{context}");
            match s.tasks[0].1.as_str() {
                "a" => {
                    assert!(finished("start") && open("a"), "{context}");
                    assert!(!s.activities.contains_key("b"), "{context}");
                    assert!(!s.variables.contains("aDone"), "{context}");
                }
                "b" => {
                    assert!(finished("start") && finished("a") && open("b"), "{context}");
                    assert!(s.variables.contains("aDone"), "{context}");
                    assert!(!s.variables.contains("bDone"), "{context}");
                }
                other => panic!("a task at {other}: {context}"),
            }
        }
        other => panic!("state {other:?}: {context}"),
    }
}

async fn a_killed_server_loses_no_acknowledged_work_and_applies_nothing_by_halves(store: Store) {
    let mut server = Server::start(&store).await;
    let deployment = server.deploy("crash.bpmn", &bpmn::two_tasks("crash")).await;
    let definition = deployment["deployedProcessDefinitions"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .expect("a definition");

    // The load: clients start instances and workers complete tasks until the server
    // stops answering. Only answers that arrived count as acknowledged.
    let acked = Arc::new(Acknowledged::default());
    let dead = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (http, base, acked, dead) = (
            server.http.clone(),
            server.base.clone(),
            acked.clone(),
            dead.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            while !dead.load(Ordering::SeqCst) {
                let sent = http
                    .post(format!("{base}/process-definition/key/crash/start"))
                    .json(&json!({"variables": {"n": {"value": n}}}))
                    .send()
                    .await;
                let Ok(r) = sent else { break };
                let Ok(body) = r.json::<Value>().await else {
                    break;
                };
                let id = body["id"].as_str().expect("an instance id").to_owned();
                acked.starts.lock().expect("the record").push(id);
                n += 1;
            }
        }));
    }
    for w in 0..CLIENTS {
        let (http, base, acked, dead) = (
            server.http.clone(),
            server.base.clone(),
            acked.clone(),
            dead.clone(),
        );
        let worker = format!("worker-{w}");
        clients.push(tokio::spawn(async move {
            'work: while !dead.load(Ordering::SeqCst) {
                let sent = http
                    .post(format!("{base}/external-task/fetchAndLock"))
                    .json(&json!({
                        "workerId": worker,
                        "maxTasks": 3,
                        // Short locks: whatever is locked at the crash is free again soon.
                        "topics": [
                            {"topicName": "crash-a", "lockDuration": 3_000},
                            {"topicName": "crash-b", "lockDuration": 3_000},
                        ],
                    }))
                    .send()
                    .await;
                let Ok(r) = sent else { break };
                let Ok(tasks) = r.json::<Vec<Value>>().await else {
                    break;
                };
                for task in tasks {
                    let id = task["id"].as_str().expect("a task id").to_owned();
                    let activity = task["activityId"].as_str().expect("an activity").to_owned();
                    let sent = http
                        .post(format!("{base}/external-task/{id}/complete"))
                        .json(&json!({"workerId": worker,
                                      "variables": {format!("{activity}Done"): {"value": true}}}))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().as_u16() == 204 => acked
                            .completions
                            .lock()
                            .expect("the record")
                            .push(Completed {
                                task: id,
                                instance: task["processInstanceId"]
                                    .as_str()
                                    .unwrap_or("")
                                    .to_owned(),
                                activity,
                            }),
                        Ok(r) => panic!("completing {id} answered {}", r.status()),
                        Err(_) => break 'work,
                    }
                }
            }
        }));
    }

    // Kill the server in the middle of it.
    let deadline = Instant::now() + PATIENCE;
    while acked.completions.lock().expect("the record").len() < KILL_AFTER {
        assert!(Instant::now() < deadline, "the load never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill9();
    dead.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.expect("a client");
    }
    let starts = acked.starts.lock().expect("the record").clone();
    let completions = acked.completions.lock().expect("the record").clone();

    server.restart().await;
    let seen = world(&server, &definition).await;

    // Every acknowledged start is there.
    for id in &starts {
        assert!(seen.contains_key(id), "acknowledged start {id} is lost");
    }
    // Every acknowledged completion is there: its task is gone, its step finished and its
    // variable written.
    for c in &completions {
        let s = seen
            .get(&c.instance)
            .unwrap_or_else(|| panic!("the instance of completed task {} is lost", c.task));
        assert!(
            s.tasks.iter().all(|(id, _)| *id != c.task),
            "acknowledged completion of {} is lost: {s:?}",
            c.task
        );
        assert_eq!(s.activities.get(&c.activity), Some(&true), "{c:?}: {s:?}");
        assert!(
            s.variables.contains(&format!("{}Done", c.activity)),
            "{c:?}: {s:?}"
        );
    }
    // Nothing is half applied, acknowledged or not.
    for (instance, s) in &seen {
        assert_whole(instance, s);
    }

    // And every instance still runs to its end.
    let total = seen.len();
    let deadline = Instant::now() + 2 * PATIENCE;
    loop {
        let tasks = server
            .post(
                "/external-task/fetchAndLock",
                &json!({
                    "workerId": "after-the-crash",
                    "maxTasks": 50,
                    "asyncResponseTimeout": 1_000,
                    "topics": [
                        {"topicName": "crash-a", "lockDuration": 60_000},
                        {"topicName": "crash-b", "lockDuration": 60_000},
                    ],
                }),
            )
            .await
            .expect(200)
            .json;
        for task in tasks.as_array().cloned().unwrap_or_default() {
            let id = task["id"].as_str().expect("a task id");
            let activity = task["activityId"].as_str().expect("an activity");
            server
                .complete(
                    id,
                    "after-the-crash",
                    json!({format!("{activity}Done"): {"value": true}}),
                )
                .await
                .expect(204);
        }
        let done = server
            .count(&format!(
                "/history/process-instance/count?processDefinitionId={definition}&completed=true"
            ))
            .await;
        if done as usize == total {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of {total} instances ran to their end"
        );
    }
    let seen = world(&server, &definition).await;
    assert_eq!(seen.len(), total);
    for (instance, s) in &seen {
        assert_eq!(s.state, "COMPLETED", "{instance}: {s:?}");
        assert_whole(instance, s);
    }
    println!(
        "CRASH {}: killed after {} acknowledged starts and {} acknowledged completions; {} instances recovered and finished",
        store.name(),
        starts.len(),
        completions.len(),
        total
    );
}
