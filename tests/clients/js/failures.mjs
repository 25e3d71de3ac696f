// handleFailure with retries and a retry timeout, the incident at zero retries, reviving
// the task, and the EngineError the client raises on a rejected call, through process
// `clientRetries`: start → flaky (client-flaky) → end.

import { Client } from "camunda-external-task-client-js";

import {
  assert,
  deferred,
  ENGINE,
  ok,
  rest,
  restOk,
  run,
  sleep,
  start,
  waitFor,
} from "./lib.mjs";

run("js failures", async () => {
  const client = new Client({
    baseUrl: ENGINE,
    workerId: "js-failures",
    interval: 100,
    lockDuration: 20000,
    asyncResponseTimeout: 5000,
    autoPoll: false,
  });
  for (const event of ["poll:error", "handler:error", "handleFailure:error"]) {
    client.on(event, (...args) => attempts.fail(new Error(`${event}: ${args[args.length - 1]}`)));
  }

  const attempts = [];
  attempts.fail = (e) => done.reject(e);
  const failedTwice = deferred();
  const done = deferred();
  let failedAt = 0;

  client.subscribe("client-flaky", async ({ task, taskService }) => {
    try {
      attempts.push({ at: Date.now(), retries: task.retries, errorMessage: task.errorMessage });
      const n = attempts.length;
      if (n === 1) {
        // The first attempt: no failure yet, retries is null.
        assert.equal(task.retries, null);
        assert.equal(task.errorMessage, null);
        // Before the call: the engine's lock expiration (now + retryTimeout) is later.
        failedAt = Date.now();
        await taskService.handleFailure(task, {
          errorMessage: "the payment service is down",
          errorDetails: "java.net.ConnectException: Connection refused\n\tat Payment.call",
          retries: 2,
          retryTimeout: 1500,
        });
        ok("handleFailure with retries 2 and retryTimeout 1500");
      } else if (n === 2) {
        // Fetched again only after the retry timeout, with what the failure recorded.
        const waited = attempts[1].at - failedAt;
        assert.ok(waited >= 1400, `fetched again after ${waited} ms, before the retry timeout`);
        assert.equal(task.retries, 2);
        assert.equal(task.errorMessage, "the payment service is down");
        const details = await rest("GET", `/external-task/${task.id}/errorDetails`);
        assert.equal(details.status, 200);
        assert.equal(details.text, "java.net.ConnectException: Connection refused\n\tat Payment.call");
        ok("refetched after the retry timeout", { retries: task.retries, waitedAtLeastMs: 1400 });
        await taskService.handleFailure(task, {
          errorMessage: "still down",
          retries: 0,
          retryTimeout: 0,
        });
        ok("handleFailure with retries 0");
        failedTwice.resolve(task.id);
      } else {
        // Revived by PUT /external-task/{id}/retries.
        assert.equal(task.retries, 1);
        assert.equal(task.errorMessage, "still down");
        await taskService.complete(task);
        ok("completed after the retries were raised");
        done.resolve(task);
      }
    } catch (e) {
      done.reject(e);
    }
  });

  const instance = await start("clientRetries", { orderId: { value: "A-1", type: "String" } });
  client.start();

  const taskId = await Promise.race([failedTwice.promise, done.promise]);
  // With no retries left the task is not fetched, and an incident says why.
  const t = await restOk("GET", `/external-task/${taskId}`);
  assert.equal(t.retries, 0);
  assert.equal(t.errorMessage, "still down");
  await sleep(1000);
  assert.equal(attempts.length, 2, "a task without retries must not be fetched");
  ok("not fetched with 0 retries");
  const incidents = await restOk("GET", `/incident?processInstanceId=${instance.id}`);
  assert.equal(incidents.length, 1, "one incident");
  assert.equal(incidents[0].incidentType, "failedExternalTask");
  assert.equal(incidents[0].configuration, taskId);
  assert.equal(incidents[0].activityId, "flaky");
  assert.equal(incidents[0].incidentMessage, "still down");
  ok("incident failedExternalTask", incidents[0].incidentMessage);

  await restOk("PUT", `/external-task/${taskId}/retries`, { retries: 1 }, 204);
  const completed = await done.promise;
  client.stop();
  assert.equal(attempts.length, 3);
  // Raising the retries resolved the incident.
  assert.deepEqual(await restOk("GET", `/incident?processInstanceId=${instance.id}`), []);
  ok("incident resolved");

  // Completing it again: the engine's 404 arrives as an EngineError with Camunda's body.
  const rejected = await client.taskService.complete(completed).then(
    () => null,
    (e) => e
  );
  assert.ok(rejected, "completing a completed task must fail");
  assert.equal(rejected.name, "EngineError");
  assert.equal(rejected.httpStatusCode, 404);
  assert.equal(rejected.type, "RestException");
  assert.equal(rejected.engineMsg, `External task with id ${taskId} does not exist`);
  ok("EngineError", { status: rejected.httpStatusCode, type: rejected.type });

  await waitFor("the instance to complete", async () => {
    const h = await restOk("GET", `/history/process-instance/${instance.id}`);
    return h.state === "COMPLETED";
  });
  ok("instance completed");
});
