"""A webhook receiver for the tests of the service's webhooks: every delivery is verified with the
official Standard Webhooks library (`standardwebhooks` from PyPI, in `target/pytools`), so the
service's signatures are checked by an implementation that is not its own.

Run as `target/pytools/bin/python crates/server/tests/webhooks/receiver.py`. It listens on a free
loopback port, prints `listening <port>` as its first line of stdout, and runs until it is killed
or its stdin reaches end of file (so a test that dies takes it along: give it a piped stdin and
keep the pipe open; a stdin that is /dev/null is not watched, since it would end at once).

Control API (JSON in and out; anything else POSTed is a delivery):
  POST /_control/secret    {"secrets": ["whsec_...", ...]}  verify with these; a delivery
                           verifies if any one of them verifies it (rotation keeps two valid)
  POST /_control/fail      {"status": 500, "times": N}  the next N verified deliveries are
                           answered with that status (replaces any earlier count)
  POST /_control/drop      {"times": N}  the next N verified deliveries are read in full, then
                           the connection is closed with no response at all (no status line)
  POST /_control/hold      {"times": N}  the next N verified deliveries are read in full, then
                           held: no answer at all until a release (the sender times out or dies
                           waiting); replaces any earlier count, so {"times": 0} holds no more
  POST /_control/release   {}  the deliveries held so far are let go: each connection is closed
                           with no response
  GET  /_control/received  {"items": [...]}  every delivery in arrival order, each
                           {"id", "timestamp", "signature", "verified", "error", "body",
                            "answered", "path", "headers"}
A delivery that does not verify (no secret set, or every secret fails) is answered 400 and
consumes no count; a hold is used before a drop, a drop before a failure.

The clock: the library rejects a delivery whose `webhook-timestamp` is more than 5 minutes from
this process's real clock ("Message timestamp too old" / "too new"). A test that moves the
service's clock must still have the service sign with, and send, the real time, or every
delivery is recorded as unverified.
"""

import json
import os
import socket
import stat
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

CONTROL = "/_control/"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.secrets = []  # (text, Webhook)
        self.fail_status = None
        self.fail_times = 0
        self.drop_times = 0
        self.hold_times = 0
        self.release = threading.Event()  # set (and replaced) by each release
        self.items = []


STATE = State()


def verify(body, headers):
    """(verified, error): whether any of the secrets verifies the delivery, and if none does,
    the library's error text (each distinct one, joined)."""
    with STATE.lock:
        hooks = [hook for _, hook in STATE.secrets]
    if not hooks:
        return False, "no secret set"
    errors = []
    for hook in hooks:
        try:
            hook.verify(body, headers, json_parse=False)
            return True, None
        except Exception as error:  # the library's WebhookVerificationError, or any other
            text = str(error) or type(error).__name__
            if text not in errors:
                errors.append(text)
    return False, "; ".join(errors)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "webhook-receiver"
    sys_version = ""

    def log_message(self, format, *args):
        pass

    # Reading and answering.

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, value=None):
        data = b"" if value is None else json.dumps(value).encode()
        self.send_response(status)
        if value is not None:
            self.send_header("Content-Type", "application/json")
        if status != 204:
            self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if data:
            self.wfile.write(data)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # Methods.

    def do_GET(self):
        if self.path == CONTROL + "received":
            with STATE.lock:
                items = list(STATE.items)
            self.answer(200, {"items": items})
        else:
            self.answer(404, {"error": "not found"})

    def do_POST(self):
        try:
            body = self.read_body()
        except (ValueError, OSError) as error:
            self.answer(400, {"error": f"unreadable body: {error}"})
            return
        if self.path.startswith(CONTROL):
            self.control(body)
        else:
            self.delivery(body)

    # Control.

    def control(self, body):
        try:
            request = json.loads(body or b"null")
            if not isinstance(request, dict):
                raise ValueError("expected a JSON object")
            if self.path == CONTROL + "secret":
                secrets = request["secrets"]
                if not isinstance(secrets, list) or not all(isinstance(s, str) for s in secrets):
                    raise ValueError("secrets: expected a list of strings")
                hooks = [(s, Webhook(s)) for s in secrets]  # an invalid secret is refused here
                with STATE.lock:
                    STATE.secrets = hooks
                self.answer(200, {"secrets": len(hooks)})
            elif self.path == CONTROL + "fail":
                status, times = request["status"], count(request["times"])
                if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
                    raise ValueError("status: expected an HTTP status from 200 to 599")
                with STATE.lock:
                    STATE.fail_status, STATE.fail_times = status, times
                self.answer(200, {"status": status, "times": times})
            elif self.path == CONTROL + "drop":
                times = count(request["times"])
                with STATE.lock:
                    STATE.drop_times = times
                self.answer(200, {"times": times})
            elif self.path == CONTROL + "hold":
                times = count(request["times"])
                with STATE.lock:
                    STATE.hold_times = times
                self.answer(200, {"times": times})
            elif self.path == CONTROL + "release":
                with STATE.lock:
                    released, STATE.release = STATE.release, threading.Event()
                released.set()
                self.answer(200, {})
            else:
                self.answer(404, {"error": "no such control"})
        except Exception as error:  # a missing key, a wrong type, a secret that is not base64
            self.answer(400, {"error": f"{type(error).__name__}: {error}"})

    # Deliveries.

    def delivery(self, body):
        headers = {}
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            value = self.headers.get(name)
            if value is not None:
                headers[name] = value
        verified, error = verify(body, headers)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        with STATE.lock:
            release = STATE.release
            if not verified:
                answered = 400
            elif STATE.hold_times > 0:
                STATE.hold_times -= 1
                answered = "held"
            elif STATE.drop_times > 0:
                STATE.drop_times -= 1
                answered = "dropped"
            elif STATE.fail_times > 0:
                STATE.fail_times -= 1
                answered = STATE.fail_status
            else:
                answered = 204
            # Recorded before answering, so once the sender has its answer the item is listed.
            STATE.items.append(
                {
                    "id": headers.get("webhook-id"),
                    "timestamp": headers.get("webhook-timestamp"),
                    "signature": headers.get("webhook-signature"),
                    "verified": verified,
                    "error": error,
                    "body": parsed,
                    "answered": answered,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
        if answered == "held":
            release.wait()
            self.drop()
        elif answered == "dropped":
            self.drop()
        elif answered == 400:
            self.answer(400, {"error": error})
        elif answered == 204:
            self.answer(204)
        else:
            self.answer(answered, {"error": "failing as told"})


def count(value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("times: expected a non-negative integer")
    return value


def watch_stdin():
    """Exits the process when stdin reaches end of file (the test holding the pipe is gone)."""
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os._exit(0)


def stdin_is_devnull():
    try:
        mine, null = os.fstat(0), os.stat(os.devnull)
    except OSError:
        return True  # no stdin at all: nothing to watch
    return stat.S_ISCHR(mine.st_mode) and (mine.st_dev, mine.st_ino) == (null.st_dev, null.st_ino)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    # socketserver's default listen backlog of 5 resets connections under a burst of deliveries.
    request_queue_size = 128


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    if not stdin_is_devnull():
        threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
