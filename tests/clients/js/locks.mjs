// extendLock, unlock (which wakes a waiting long poll of another worker), lock, and the
// 400 a worker gets when it touches a task another worker holds, through process
// `clientRetries`: start → flaky (client-flaky) → end.

import { Client } from "camunda-external-task-client-js";

import {
  assert,
  deferred,
  ENGINE,
  failOnClientErrors,
  ok,
  restOk,
  run,
  sleep,
  start,
  waitFor,
} from "./lib.mjs";

const parseDate = (s) => new Date(s.replace(/([+-]\d\d)(\d\d)$/, "$1:$2")).getTime();

run("js locks", async () => {
  const a = new Client({
    baseUrl: ENGINE,
    workerId: "js-lock-a",
    interval: 100,
    lockDuration: 5000,
    asyncResponseTimeout: 5000,
    autoPoll: false,
  });
  failOnClientErrors(a, "worker a");
  const b = new Client({
    baseUrl: ENGINE,
    workerId: "js-lock-b",
    interval: 100,
    lockDuration: 5000,
    asyncResponseTimeout: 20000,
    autoPoll: false,
  });
  failOnClientErrors(b, "worker b");

  const held = deferred();
  a.subscribe("client-flaky", async ({ task }) => {
    a.stop();
    held.resolve(task);
  });

  const instance = await start("clientRetries");
  a.start();
  const task = await held.promise;
  assert.equal(task.processInstanceId, instance.id);
  const before = await restOk("GET", `/external-task/${task.id}`);
  assert.equal(before.workerId, "js-lock-a");
  const lockedUntil = parseDate(before.lockExpirationTime);
  assert.ok(lockedUntil <= Date.now() + 5500, `locked for 5 s: ${before.lockExpirationTime}`);
  ok("worker a holds the task", before.workerId);

  // extendLock: the lock now ends about 60 s from now.
  await a.taskService.extendLock(task, 60000);
  const extended = await restOk("GET", `/external-task/${task.id}`);
  const extendedUntil = parseDate(extended.lockExpirationTime);
  assert.ok(extendedUntil >= Date.now() + 55000, `extended: ${extended.lockExpirationTime}`);
  assert.equal(extended.workerId, "js-lock-a");
  ok("extendLock moved the lock expiration by about 60 s");

  // Worker b long-polls the topic; the task is locked, so it waits.
  const taken = deferred();
  const polls = [];
  b.on("poll:start", () => polls.push(Date.now()));
  b.subscribe("client-flaky", async ({ task: t, taskService }) => {
    try {
      const gotAt = Date.now();
      const pollsSoFar = polls.length;
      assert.equal(t.id, task.id);
      assert.equal(t.workerId, "js-lock-b");
      // lock (7.2x): the holder may lock again, for a new duration.
      await taskService.lock(t, 30000);
      const relocked = await restOk("GET", `/external-task/${t.id}`);
      assert.equal(relocked.workerId, "js-lock-b");
      assert.ok(parseDate(relocked.lockExpirationTime) >= Date.now() + 25000);
      ok("worker b locked it for 30 s");
      taken.resolve({ t, taskService, gotAt, pollsSoFar });
    } catch (e) {
      taken.reject(e);
    }
  });
  b.start();
  await waitFor("worker b's poll", () => polls.length > 0);
  await sleep(700);

  // unlock: the task is free at once, and b's waiting poll gets it.
  const unlockedAt = Date.now();
  await a.taskService.unlock(task);
  const { t, taskService, gotAt, pollsSoFar } = await taken.promise;
  b.stop();
  const latency = gotAt - unlockedAt;
  // Well before its 20 s timeout: the unlock woke it.
  assert.ok(latency < 5000, `worker b got the task ${latency} ms after the unlock`);
  assert.equal(pollsSoFar, 1, "one long poll, woken by the unlock");
  ok("unlock woke worker b's long poll");

  // Worker a no longer holds it: extendLock and complete are refused with 400.
  a.removeAllListeners("extendLock:error");
  a.removeAllListeners("complete:error");
  for (const [what, call] of [
    ["extendLock", () => a.taskService.extendLock(task, 1000)],
    ["complete", () => a.taskService.complete(task)],
  ]) {
    const e = await call().then(
      () => null,
      (err) => err
    );
    assert.ok(e, `${what} by worker a must fail`);
    assert.equal(e.httpStatusCode, 400, `${what}: ${e.message}`);
    assert.match(e.engineMsg, /locked by worker 'js-lock-b'/);
    ok(`${what} by the former holder refused`, { status: e.httpStatusCode, type: e.type });
  }

  await taskService.complete(t);
  await waitFor("the instance to complete", async () => {
    const h = await restOk("GET", `/history/process-instance/${instance.id}`);
    return h.state === "COMPLETED";
  });
  ok("worker b completed it");
});
