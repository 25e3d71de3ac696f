//! Camunda Modeler's deploy and start, request for request (connection check, version,
//! multipart deploy with duplicate filtering and a form attachment, start with
//! `variables: null`), against a real `procos serve` on each store:
//! `tests/clients/js/modeler.mjs`.

mod support;
mod support_clients;

use support::{Server, Store};
use support_clients::{run_script, Runtime};

on_both_stores!(modeler_deploys_redeploys_and_starts);

async fn modeler_deploys_redeploys_and_starts(store: Store) {
    let server = Server::start(&store).await;
    run_script(&server, Runtime::Node, "modeler.mjs")
        .await
        .saw(&[
            "ok: connection check: 200",
            "ok: version: \"7.23.0\"",
            "ok: deployed",
            "ok: deployment source and resources",
            "ok: started with variables null",
            "ok: redeploy of the unchanged diagram: same deployment, no new version",
            "ok: changed diagram deployed as version 2",
            "ok: parse error",
            "PASS camunda modeler",
        ]);
    // The redeploys created nothing.
    assert_eq!(
        server.count("/deployment/count?name=modeler_invoice").await,
        2
    );
    assert_eq!(
        server
            .count("/process-definition/count?key=modelerInvoice")
            .await,
        2
    );
}
