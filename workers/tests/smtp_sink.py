"""A real SMTP server for the email_send tests (workers/src/generic/email_send/tests.rs).

aiosmtpd on 127.0.0.1:PORT, without TLS (so it offers no STARTTLS). With --user, AUTH
PLAIN/LOGIN is required and only that user and password are accepted. Every message it
accepts is written to FOLDER/N.json as {mail_from, rcpt_tos, data, login}. Prints READY
once listening, and stops when its standard input closes (the test ended).

Installed by scripts/setup-clients into tests/clients/python/.venv (aiosmtpd).
"""

import argparse
import json
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        login = None
        if isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            "login": login,
        }
        tmp = os.path.join(self.folder, f".{self.count}.json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.folder, f"{self.count}.json"))
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8", "replace") == user
            and auth_data.password.decode("utf-8", "replace") == password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    kwargs = {}
    if args.user:
        kwargs = {
            "authenticator": authenticator(args.user, args.password or ""),
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(Sink(args.folder), hostname="127.0.0.1", port=args.port, **kwargs)
    controller.start()
    print("READY", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
