"""Basic authentication from the Python clients, against a server started with users
(PROCOS_AUTH_USER and PROCOS_AUTH_PASSWORD name one of them): the python3 client's
`auth_basic` config (worker and EngineClient) and pycamunda's `auth` attribute (a
requests auth object). Wrong credentials get Camunda's 401.
"""

import os

import pycamunda
import pycamunda.processdef
import requests
from camunda.client.engine_client import EngineClient
from camunda.external_task.external_task_worker import ExternalTaskWorker

from common import ENGINE, ok, run

USER = os.environ.get("PROCOS_AUTH_USER", "")
PASSWORD = os.environ.get("PROCOS_AUTH_PASSWORD", "")


def main():
    assert USER and PASSWORD, "PROCOS_AUTH_USER and PROCOS_AUTH_PASSWORD must be set"
    good = {"auth_basic": {"username": USER, "password": PASSWORD}}
    bad = {"auth_basic": {"username": USER, "password": PASSWORD + "-wrong"}}

    # pycamunda: requests' HTTPBasicAuth on the request object.
    listing = pycamunda.processdef.GetList(ENGINE, key="clientRetries")
    try:
        listing()
        raise AssertionError("listing without credentials must fail")
    except pycamunda.Unauthorized:
        ok("pycamunda without credentials: Unauthorized")
    listing.auth = requests.auth.HTTPBasicAuth(USER, PASSWORD)
    (definition,) = listing()
    assert definition.key == "clientRetries"
    ok("pycamunda with credentials", definition.key)

    # The python3 client's EngineClient.
    try:
        EngineClient(ENGINE, bad).start_process("clientRetries", {})
        raise AssertionError("starting with a wrong password must fail")
    except requests.exceptions.HTTPError as e:
        # A 401 has no JSON body, so the library falls back to raise_for_status.
        assert e.response.status_code == 401, e
        ok("EngineClient with a wrong password: 401")
    started = EngineClient(ENGINE, good).start_process("clientRetries", {"who": USER})
    ok("EngineClient with credentials: started")

    # The worker.
    seen = []

    def handle(task):
        seen.append(task.get_variable("who"))
        return task.complete({"done": True})

    config = {"asyncResponseTimeout": 3000, "sleepSeconds": 1, **good}
    ExternalTaskWorker("py-auth", ENGINE, config).fetch_and_execute("client-flaky", handle)
    assert seen == [USER], seen
    state = requests.get(
        f"{ENGINE}/history/process-instance/{started['id']}", auth=(USER, PASSWORD), timeout=10
    ).json()["state"]
    assert state == "COMPLETED", state
    ok("worker with auth_basic: fetched and completed")


if __name__ == "__main__":
    run("python basic auth", main)
