//! The store itself, on both databases: the schema, transactions, and the fetch-and-lock
//! and job-acquisition queries that many workers and nodes run at once.
//!
//! These tests drive `procos_engine::store` directly (no server), with fixed times, so
//! they can set up exactly the rows a predicate must accept or refuse.

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use procos_engine::store::{
    self, ExternalTaskRow, FetchRequest, Filter, InstanceWrite, JobRow, Op, Query, SqlValue,
    TopicRequest,
};
use support::{Database, Store, TempDir};

on_both_stores!(
    migrations_run_again_on_an_up_to_date_schema_without_harm,
    fetch_and_lock_locks_only_fetchable_tasks_of_the_requested_topics,
    fetch_and_lock_prefers_priority_then_age,
    an_uncommitted_transaction_leaves_nothing_behind,
    concurrent_fetches_never_hand_out_a_task_twice,
    the_next_unlock_is_the_earliest_lock_expiry_on_the_topics,
    concurrent_job_acquisition_locks_each_due_job_once,
);

/// A fixed "now" for every query.
const NOW: i64 = 1_700_000_000_000;

struct Opened {
    store: Arc<dyn store::Store>,
    // Kept for their Drop: the database and the directory of the SQLite file.
    _db: Database,
    _dir: TempDir,
}

async fn open(kind: &Store) -> Opened {
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.path().join("data")).expect("create data/");
    let db = Database::create(kind, dir.path()).await;
    let store = store::connect(&db.url, 16).await.expect("connect");
    store.migrate().await.expect("migrate");
    Opened {
        store,
        _db: db,
        _dir: dir,
    }
}

fn task(id: &str, topic: &str, business_key: Option<&str>) -> ExternalTaskRow {
    ExternalTaskRow {
        id: id.to_owned(),
        instance_id: format!("instance-{id}"),
        execution_id: format!("execution-{id}"),
        activity_id: "work".to_owned(),
        activity_instance_id: format!("work:{id}"),
        definition_id: "p:1:x".to_owned(),
        definition_key: "p".to_owned(),
        version_tag: None,
        tenant_id: None,
        business_key: business_key.map(str::to_owned),
        topic: topic.to_owned(),
        priority: 0,
        worker_id: None,
        lock_expiration: None,
        retries: None,
        error_message: None,
        error_details: None,
        suspended: false,
        create_time: NOW - 60_000,
    }
}

async fn insert_tasks(store: &Arc<dyn store::Store>, tasks: Vec<ExternalTaskRow>) {
    let mut tx = store.begin().await.expect("begin");
    for chunk in tasks.chunks(100) {
        tx.persist(&InstanceWrite {
            external_tasks: chunk.to_vec(),
            ..InstanceWrite::default()
        })
        .await
        .expect("insert tasks");
    }
    tx.commit().await.expect("commit");
}

fn topic(name: &str, lock: i64, filters: Vec<Filter>) -> TopicRequest {
    TopicRequest {
        topic: name.to_owned(),
        lock_duration: lock,
        filters,
    }
}

fn request(worker: &str, max: i64, topics: Vec<TopicRequest>) -> FetchRequest {
    FetchRequest {
        worker_id: worker.to_owned(),
        max_tasks: max,
        use_priority: false,
        create_time_asc: None,
        topics,
    }
}

fn sorted_ids(rows: &[ExternalTaskRow]) -> Vec<String> {
    let mut ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids
}

async fn migrations_run_again_on_an_up_to_date_schema_without_harm(kind: Store) {
    let opened = open(&kind).await;
    insert_tasks(&opened.store, vec![task("t1", "x", None)]).await;
    opened.store.migrate().await.expect("migrate again");
    opened.store.ping().await.expect("ping");
    let rows = opened
        .store
        .external_tasks(&Query::all())
        .await
        .expect("query");
    assert_eq!(sorted_ids(&rows), ["t1"]);
}

async fn fetch_and_lock_locks_only_fetchable_tasks_of_the_requested_topics(kind: Store) {
    let opened = open(&kind).await;
    let mut rows = vec![
        task("x-a", "x", Some("A")), // topic x, the business key x asks for
        task("x-b", "x", Some("B")), // topic x, another business key
        task("y-b", "y", Some("B")), // topic y has no filter
        task("z-a", "z", Some("A")), // a topic nobody asked for
        task("y-locked", "y", Some("A")),
        task("y-expired", "y", Some("A")),
        task("y-no-retries", "y", Some("A")),
        task("y-suspended", "y", Some("A")),
        task("y-retry-later", "y", None),
        task("y-retry-now", "y", None),
    ];
    let set = |rows: &mut Vec<ExternalTaskRow>, id: &str, f: &dyn Fn(&mut ExternalTaskRow)| {
        if let Some(r) = rows.iter_mut().find(|r| r.id == id) {
            f(r);
        }
    };
    set(&mut rows, "y-locked", &|r| {
        r.worker_id = Some("other".into());
        r.lock_expiration = Some(NOW + 1);
    });
    set(&mut rows, "y-expired", &|r| {
        r.worker_id = Some("other".into());
        r.lock_expiration = Some(NOW);
    });
    set(&mut rows, "y-no-retries", &|r| r.retries = Some(0));
    set(&mut rows, "y-suspended", &|r| r.suspended = true);
    // A failure keeps the lock until the retry timeout.
    set(&mut rows, "y-retry-later", &|r| {
        r.retries = Some(2);
        r.lock_expiration = Some(NOW + 10_000);
    });
    set(&mut rows, "y-retry-now", &|r| {
        r.retries = Some(2);
        r.lock_expiration = Some(NOW - 1);
    });
    insert_tasks(&opened.store, rows).await;

    // Topic x with a business key filter, OR topic y without one: the filter must bind
    // to its own topic only.
    let req = request(
        "me",
        100,
        vec![
            topic(
                "x",
                1_000,
                vec![Filter::Cmp(
                    "business_key",
                    Op::Eq,
                    SqlValue::Text("A".into()),
                )],
            ),
            topic("y", 5_000, Vec::new()),
        ],
    );
    let locked = opened.store.fetch_and_lock(&req, NOW).await.expect("fetch");
    assert_eq!(
        sorted_ids(&locked),
        ["x-a", "y-b", "y-expired", "y-retry-now"]
    );
    for row in &locked {
        assert_eq!(row.worker_id.as_deref(), Some("me"));
        let lock = if row.topic == "x" { 1_000 } else { 5_000 };
        assert_eq!(row.lock_expiration, Some(NOW + lock), "{}", row.id);
    }
    // The store agrees, and a second fetch finds nothing more.
    let mine = opened
        .store
        .external_tasks(&Query::all().eq("worker_id", "me"))
        .await
        .expect("query");
    assert_eq!(sorted_ids(&mine), sorted_ids(&locked));
    let again = opened.store.fetch_and_lock(&req, NOW).await.expect("fetch");
    assert!(again.is_empty(), "{again:?}");
    // No topics, or no room: nothing.
    assert!(opened
        .store
        .fetch_and_lock(&request("me", 10, Vec::new()), NOW)
        .await
        .expect("fetch")
        .is_empty());
}

async fn fetch_and_lock_prefers_priority_then_age(kind: Store) {
    let opened = open(&kind).await;
    let mut rows = Vec::new();
    for (id, priority, age) in [("old-low", 0, 30), ("new-high", 9, 10), ("mid-mid", 5, 20)] {
        let mut t = task(id, "t", None);
        t.priority = priority;
        t.create_time = NOW - age * 1_000;
        rows.push(t);
    }
    insert_tasks(&opened.store, rows).await;

    let mut by_priority = request("w", 2, vec![topic("t", 1_000, Vec::new())]);
    by_priority.use_priority = true;
    let locked = opened
        .store
        .fetch_and_lock(&by_priority, NOW)
        .await
        .expect("fetch");
    let ids: Vec<&str> = locked.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["new-high", "mid-mid"]);

    let oldest = request("w", 1, vec![topic("t", 1_000, Vec::new())]);
    let locked = opened
        .store
        .fetch_and_lock(&oldest, NOW)
        .await
        .expect("fetch");
    assert_eq!(sorted_ids(&locked), ["old-low"]);
}

async fn an_uncommitted_transaction_leaves_nothing_behind(kind: Store) {
    let opened = open(&kind).await;
    let write = InstanceWrite {
        external_tasks: vec![task("t1", "x", None)],
        ..InstanceWrite::default()
    };
    {
        let mut tx = opened.store.begin().await.expect("begin");
        tx.persist(&write).await.expect("persist");
        // Dropped without a commit, as when a command fails half-way.
    }
    let rows = opened
        .store
        .external_tasks(&Query::all())
        .await
        .expect("query");
    assert!(rows.is_empty(), "{rows:?}");

    let mut tx = opened.store.begin().await.expect("begin");
    tx.persist(&write).await.expect("persist");
    tx.commit().await.expect("commit");
    let rows = opened
        .store
        .external_tasks(&Query::all())
        .await
        .expect("query");
    assert_eq!(sorted_ids(&rows), ["t1"]);
}

async fn concurrent_fetches_never_hand_out_a_task_twice(kind: Store) {
    let opened = open(&kind).await;
    let count = 400;
    let rows = (0..count)
        .map(|i| task(&format!("t{i:04}"), "load", None))
        .collect();
    insert_tasks(&opened.store, rows).await;

    let mut fetchers = Vec::new();
    for w in 0..8 {
        let store = opened.store.clone();
        fetchers.push(tokio::spawn(async move {
            let req = request(
                &format!("w{w}"),
                7,
                vec![topic("load", 600_000, Vec::new())],
            );
            let mut got = Vec::new();
            loop {
                let rows = store.fetch_and_lock(&req, NOW).await.expect("fetch");
                if rows.is_empty() {
                    return got;
                }
                got.extend(rows.into_iter().map(|r| (r.id, r.worker_id)));
            }
        }));
    }
    let mut all = Vec::new();
    for f in fetchers {
        all.extend(f.await.expect("a fetcher"));
    }
    let unique: HashSet<&String> = all.iter().map(|(id, _)| id).collect();
    assert_eq!(all.len(), count);
    assert_eq!(unique.len(), count, "a task was handed out twice");
    // Each task is locked by the worker that was told it got it.
    let stored = opened
        .store
        .external_tasks(&Query::all())
        .await
        .expect("query");
    for row in stored {
        let told = all
            .iter()
            .find(|(id, _)| *id == row.id)
            .map(|(_, w)| w.clone());
        assert_eq!(told, Some(row.worker_id.clone()), "{}", row.id);
    }
}

async fn the_next_unlock_is_the_earliest_lock_expiry_on_the_topics(kind: Store) {
    let opened = open(&kind).await;
    let mut rows = Vec::new();
    for (id, topic_name, expiry, retries) in [
        ("a", "t", NOW + 5_000, None),
        ("b", "t", NOW + 2_000, None),
        ("c", "other", NOW + 1_000, None),
        ("d", "t", NOW + 500, Some(0)), // no retries: it never becomes fetchable
        ("e", "t", NOW - 1, None),      // already free
    ] {
        let mut t = task(id, topic_name, None);
        t.worker_id = Some("w".into());
        t.lock_expiration = Some(expiry);
        t.retries = retries;
        rows.push(t);
    }
    insert_tasks(&opened.store, rows).await;
    let next = opened
        .store
        .next_unlock(&["t".to_owned()], NOW)
        .await
        .expect("next_unlock");
    assert_eq!(next, Some(NOW + 2_000));
    let none = opened
        .store
        .next_unlock(&["nothing".to_owned()], NOW)
        .await
        .expect("next_unlock");
    assert_eq!(none, None);
}

fn job(id: &str, due: i64) -> JobRow {
    JobRow {
        id: id.to_owned(),
        job_type: "timer".to_owned(),
        due,
        instance_id: Some(format!("instance-{id}")),
        execution_id: None,
        definition_id: "p:1:x".to_owned(),
        definition_key: "p".to_owned(),
        activity_id: "wait".to_owned(),
        tenant_id: None,
        repeat: None,
        retries: 3,
        exception_message: None,
        exception_details: None,
        lock_owner: None,
        lock_expiration: None,
        suspended: false,
        priority: 0,
        created: NOW - 60_000,
    }
}

async fn concurrent_job_acquisition_locks_each_due_job_once(kind: Store) {
    let opened = open(&kind).await;
    let due = 100;
    let mut jobs: Vec<JobRow> = (0..due)
        .map(|i| job(&format!("due-{i:03}"), NOW - i))
        .collect();
    jobs.push(job("later", NOW + 60_000));
    let mut tx = opened.store.begin().await.expect("begin");
    tx.persist(&InstanceWrite {
        jobs,
        ..InstanceWrite::default()
    })
    .await
    .expect("insert jobs");
    tx.commit().await.expect("commit");

    let mut nodes = Vec::new();
    for n in 0..4 {
        let store = opened.store.clone();
        nodes.push(tokio::spawn(async move {
            let owner = format!("node-{n}");
            let mut got = Vec::new();
            loop {
                let jobs = store
                    .acquire_jobs(&owner, NOW, NOW + 300_000, 8)
                    .await
                    .expect("acquire");
                if jobs.is_empty() {
                    return got;
                }
                got.extend(jobs.into_iter().map(|j| j.id));
            }
        }));
    }
    let mut all = Vec::new();
    for n in nodes {
        all.extend(n.await.expect("a node"));
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), due as usize);
    assert_eq!(unique.len(), due as usize, "a job was acquired twice");
    assert!(!all.iter().any(|id| id == "later"));
    // Every due job is locked now; the next one to run is the later one.
    assert_eq!(
        opened.store.next_job_due().await.expect("next_job_due"),
        Some(NOW + 60_000)
    );
}
