//! `pycamunda` 0.6, the real PyPI package, against a real `procos serve` on each store:
//! `tests/clients/python/pycamunda_client.py` (installed by `scripts/setup-clients`).
//! pycamunda reads every key of every response it parses, so this also proves that the
//! responses carry every key of Camunda's DTOs.

mod support;
mod support_clients;

use support::{Server, Store};
use support_clients::{deploy, run_script, Runtime};

on_both_stores!(pycamunda_deploys_starts_and_works_tasks);

async fn pycamunda_deploys_starts_and_works_tasks(store: Store) {
    let server = Server::start(&store).await;
    // clientOrder is deployed once here; the script deploys it again through pycamunda.
    deploy(
        &server,
        &[
            "client_order.bpmn",
            "client_bpmn_error.bpmn",
            "client_retries.bpmn",
            "client_message_start.bpmn",
        ],
    )
    .await;
    run_script(&server, Runtime::Python, "pycamunda_client.py")
        .await
        .saw(&[
            "ok: deployment created",
            "ok: duplicate filtered",
            "ok: definitions listed",
            "ok: started with every type",
            "ok: instance and variables read",
            "ok: user task listed, claimed and completed",
            "ok: message correlated",
            "ok: message started an instance",
            "ok: fetched and lock extended",
            "ok: unlocked, refetched and completed",
            "ok: BPMN error caught",
            "ok: incident",
            "ok: activity instance tree",
            "ok: statistics",
            "ok: variable instances",
            "ok: incident resolved by new retries",
            "ok: history",
            "PASS pycamunda",
        ]);
}
