// Camunda Modeler's "Deploy" and "Start instance" against procos, request for request
// as the Modeler's CamundaAPI sends them (fetch, FormData and Blob, which Node has too):
//
//   1. GET  {url}/deployment?maxResults=0      connection check, must be 2xx
//   2. GET  {url}/version                       read `version`
//   3. POST {url}/deployment/create             multipart: deployment-name,
//        deployment-source=Camunda Modeler, enable-duplicate-filtering=true, the diagram
//        as a text/xml Blob named and filenamed after the file, attachments (.form)
//   4. POST {url}/process-definition/{id}/start {businessKey, variables}, variables null
//
// Every request carries `accept: application/json`. The diagram is
// tests/clients/processes/modeler_invoice.bpmn; the Rust test deploys nothing first.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { assert, ENGINE, ok, restOk, run } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const DIAGRAM = fs.readFileSync(path.join(here, "..", "processes", "modeler_invoice.bpmn"), "utf-8");
const FORM = JSON.stringify({
  components: [{ label: "Amount", type: "number", key: "amount" }],
  type: "default",
  id: "invoiceForm",
  executionPlatform: "Camunda Platform",
  executionPlatformVersion: "7.23.0",
  exporter: { name: "Camunda Modeler", version: "5.31.0" },
  schemaVersion: 16,
});

// What the Modeler's CamundaAPI does, reduced to the requests.
class ModelerApi {
  constructor(url) {
    this.baseUrl = url.replace(/\/deployment\/create\/?/, "");
  }

  fetch(p, options = {}) {
    const headers = { ...options.headers, accept: "application/json" };
    return fetch(`${this.baseUrl}${p}`, { ...options, headers, signal: AbortSignal.timeout(5000) });
  }

  async checkConnection() {
    const r = await this.fetch("/deployment?maxResults=0");
    assert.ok(r.ok, `connection check answered ${r.status}`);
    return r;
  }

  async getVersion() {
    const r = await this.fetch("/version");
    const { version } = await r.json();
    assert.ok(r.ok);
    return version;
  }

  async deployDiagram(diagram, { name, attachments = [] }) {
    const form = new FormData();
    form.append("deployment-name", name);
    form.append("deployment-source", "Camunda Modeler");
    form.append("enable-duplicate-filtering", "true");
    form.append(diagram.name, new Blob([diagram.contents], { type: "text/xml" }), diagram.name);
    for (const file of attachments) {
      form.append(file.name, new Blob([file.contents]), file.name);
    }
    const r = await this.fetch("/deployment/create", { method: "POST", body: form });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) return { ok: false, status: r.status, body };
    const { id, deployedProcessDefinitions } = body;
    return {
      ok: true,
      id,
      deployedProcessDefinitions,
      deployedProcessDefinition: Object.values(deployedProcessDefinitions || {})[0],
    };
  }

  async startInstance(processDefinition, { businessKey, variables }) {
    const r = await this.fetch(`/process-definition/${processDefinition.id}/start`, {
      method: "POST",
      body: JSON.stringify({ businessKey, variables }),
      headers: { "content-type": "application/json" },
    });
    const body = await r.json().catch(() => ({}));
    assert.ok(r.ok, `start answered ${r.status}: ${JSON.stringify(body)}`);
    return body;
  }
}

run("camunda modeler", async () => {
  // The Modeler strips a trailing /deployment/create from the configured URL.
  const api = new ModelerApi(`${ENGINE}/deployment/create`);

  const check = await api.checkConnection();
  assert.equal(check.headers.get("content-type"), "application/json");
  assert.deepEqual(await check.json(), []);
  ok("connection check", check.status);

  const version = await api.getVersion();
  assert.match(version, /^7\.\d+\.\d+/);
  ok("version", version);

  const diagram = { name: "modeler_invoice.bpmn", contents: DIAGRAM };
  const attachments = [{ name: "invoice.form", contents: FORM }];
  const first = await api.deployDiagram(diagram, { name: "modeler_invoice", attachments });
  assert.ok(first.ok, `deploy failed: ${JSON.stringify(first)}`);
  const definition = first.deployedProcessDefinition;
  assert.ok(definition, "the deployment names its process definition");
  assert.equal(definition.key, "modelerInvoice");
  assert.equal(definition.version, 1);
  assert.equal(definition.resource, "modeler_invoice.bpmn");
  assert.equal(definition.deploymentId, first.id);
  ok("deployed", { key: definition.key, version: definition.version });

  const deployment = await restOk("GET", `/deployment/${first.id}`);
  assert.equal(deployment.source, "Camunda Modeler");
  assert.equal(deployment.name, "modeler_invoice");
  const resources = await restOk("GET", `/deployment/${first.id}/resources`);
  assert.deepEqual(resources.map((r) => r.name).sort(), ["invoice.form", "modeler_invoice.bpmn"]);
  ok("deployment source and resources", resources.map((r) => r.name).sort());

  // Start: the Modeler's default business key, and the variables field left empty (null).
  const instance = await api.startInstance(definition, { businessKey: "default", variables: null });
  assert.equal(instance.definitionId, definition.id);
  assert.equal(instance.businessKey, "default");
  assert.equal(instance.links[0].rel, "self");
  ok("started with variables null", instance.businessKey);
  // And with variables typed in the start dialog (Camunda's JSON form).
  const withVars = await api.startInstance(definition, {
    businessKey: "with-vars",
    variables: { amount: { value: 120, type: "Integer" }, customer: { value: "ACME" } },
  });
  const vars = await restOk("GET", `/process-instance/${withVars.id}/variables`);
  assert.deepEqual(vars.amount, { type: "Integer", value: 120, valueInfo: {} });
  assert.deepEqual(vars.customer, { type: "String", value: "ACME", valueInfo: {} });
  ok("started with variables", Object.keys(vars).sort());

  // Deploying the unchanged diagram again (every click on "Start" does) creates nothing:
  // the existing deployment comes back without definitions, and the Modeler starts the
  // definition it saved from the first deployment.
  for (let i = 0; i < 2; i++) {
    const again = await api.deployDiagram(diagram, { name: "modeler_invoice", attachments });
    assert.ok(again.ok);
    assert.equal(again.id, first.id);
    assert.equal(again.deployedProcessDefinitions, null);
    assert.equal(again.deployedProcessDefinition, undefined);
  }
  const defs = await restOk("GET", "/process-definition?key=modelerInvoice");
  assert.equal(defs.length, 1, "no new version");
  assert.equal((await restOk("GET", "/deployment?name=modeler_invoice")).length, 1);
  await api.startInstance(definition, { businessKey: "default", variables: null });
  ok("redeploy of the unchanged diagram: same deployment, no new version");

  // A changed diagram is a new version.
  const changed = { ...diagram, contents: DIAGRAM.replace('name="Approve invoice"', 'name="Approve the invoice"') };
  const second = await api.deployDiagram(changed, { name: "modeler_invoice", attachments });
  assert.ok(second.ok);
  assert.notEqual(second.id, first.id);
  assert.equal(second.deployedProcessDefinition.version, 2);
  await api.startInstance(second.deployedProcessDefinition, { businessKey: "v2", variables: null });
  ok("changed diagram deployed as version 2");

  // A broken diagram: 400 with the message prefix the Modeler classifies as a parse error.
  const broken = {
    name: "broken.bpmn",
    contents: DIAGRAM.replace('targetRef="Event_done"', 'targetRef="Event_missing"').replace(
      'id="modelerInvoice"',
      'id="brokenInvoice"'
    ),
  };
  const failed = await api.deployDiagram(broken, { name: "broken" });
  assert.equal(failed.ok, false);
  assert.equal(failed.status, 400);
  assert.ok(
    failed.body.message.startsWith("ENGINE-09005 Could not parse BPMN process."),
    failed.body.message
  );
  ok("parse error", failed.body.type);

  const tasks = await restOk("GET", "/task?processDefinitionKey=modelerInvoice");
  assert.equal(tasks.length, 4);
  ok("instances wait in their user task", tasks.length);
});
