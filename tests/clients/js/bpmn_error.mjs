// handleBpmnError caught by an error boundary event, through process `clientBpmnError`:
//   start → assessRisk (client-risk) → approved
//                 └─ riskRejected (RISK_TOO_HIGH) → reviewRisk (user task) → reviewed

import { Client, Variables } from "camunda-external-task-client-js";

import { assert, deferred, ENGINE, failOnClientErrors, ok, restOk, run, start } from "./lib.mjs";

run("js bpmn error", async () => {
  const client = new Client({
    baseUrl: ENGINE,
    workerId: "js-bpmn-error",
    interval: 100,
    asyncResponseTimeout: 5000,
    autoPoll: false,
  });
  failOnClientErrors(client, "client");

  const handled = deferred();
  client.subscribe("client-risk", async ({ task, taskService }) => {
    try {
      const score = task.variables.get("score");
      assert.equal(score, 97);
      const vars = new Variables().set("rejectionReason", "score above 90").set("checkedScore", score);
      await taskService.handleBpmnError(task, "RISK_TOO_HIGH", "the risk score is 97", vars);
      ok("handleBpmnError RISK_TOO_HIGH");
      handled.resolve(task);
    } catch (e) {
      handled.reject(e);
    }
  });

  const instance = await start("clientBpmnError", { score: { value: 97, type: "Integer" } });
  client.start();
  const task = await handled.promise;
  client.stop();
  assert.equal(task.processInstanceId, instance.id);

  // The boundary event caught it: the instance waits in the user task behind it.
  const tasks = await restOk("GET", `/task?processInstanceId=${instance.id}`);
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].taskDefinitionKey, "reviewRisk");
  ok("caught by the boundary event", tasks[0].taskDefinitionKey);

  // The variables sent with the error are process variables now.
  const vars = await restOk("GET", `/process-instance/${instance.id}/variables`);
  assert.deepEqual(vars.rejectionReason, { type: "String", value: "score above 90", valueInfo: {} });
  assert.deepEqual(vars.checkedScore, { type: "Integer", value: 97, valueInfo: {} });
  ok("error variables set", Object.keys(vars).sort());

  // History shows the path: the task was cancelled, the boundary event happened.
  const acts = await restOk("GET", `/history/activity-instance?processInstanceId=${instance.id}`);
  const byId = Object.fromEntries(acts.map((a) => [a.activityId, a]));
  assert.ok(byId.assessRisk, "assessRisk in history");
  assert.equal(byId.assessRisk.canceled, true);
  assert.ok(byId.riskRejected, "riskRejected in history");
  assert.equal(byId.riskRejected.activityType, "boundaryError");
  assert.equal(byId.approved, undefined, "the normal path was not taken");
  ok("history", acts.map((a) => a.activityId));

  // And the external task is gone.
  const left = await restOk("GET", `/external-task?processInstanceId=${instance.id}`);
  assert.equal(left.length, 0);
  ok("external task removed");
});
