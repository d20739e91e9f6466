#!/usr/bin/env python3
"""A webhook receiver that rolloutd did not write: it checks every request with the PyPI
`standardwebhooks` library (`Webhook(secret).verify(body, headers)`), the reference
implementation of the Standard Webhooks specification (DLV-1, DLV-5).

Usage: webhook-receiver.py --port-file F --log F [--port N] [--secret whsec_… …] [--mode-file F]

Binds 127.0.0.1 (port N, default: one the OS assigns) and writes the port to --port-file once
listening. Every request is logged as one JSON line in --log, written before the answer is sent:
  {"t": unix time, "path", "id": webhook-id, "timestamp", "signatures": count,
   "verified": [indices of --secret that verify], "type": the payload's type, "status": answer,
   "content_type", "complete": false when the body was cut short (the sender was killed)}
The answer depends on the path, or on the first line of --mode-file when that file exists:
  ok            204 (any path not listed below)
  status/CODE   CODE (e.g. status/500, gone = status/410)
  slow/SECONDS  sleeps, then 204 (to outlast the deliverer's timeout)
  fail-first/N  500 to the first N requests of each webhook-id, then 204
A request no secret verifies is answered 401: the deliverer counts it as a failure, and the log
shows "verified": [].
"""
import argparse
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--port-file", required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--secret", action="append", default=[])
parser.add_argument("--mode-file")
args = parser.parse_args()

# A parent that blocks signals (a test runner) passes its mask on: stop must still work.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

lock = threading.Lock()
seen = {}
log = open(args.log, "a", buffering=1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def mode(self):
        if args.mode_file and os.path.exists(args.mode_file):
            with open(args.mode_file) as f:
                return f.readline().strip()
        return self.path.strip("/")

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        verified = []
        for index, secret in enumerate(args.secret):
            try:
                Webhook(secret).verify(body, headers)
                verified.append(index)
            except WebhookVerificationError:
                pass
        message_id = headers.get("webhook-id", "")
        mode = self.mode()
        status = 204
        if mode.startswith("status/"):
            status = int(mode.split("/")[1])
        elif mode.startswith("slow/"):
            time.sleep(float(mode.split("/")[1]))
        elif mode.startswith("fail-first/"):
            with lock:
                seen[message_id] = seen.get(message_id, 0) + 1
                status = 500 if seen[message_id] <= int(mode.split("/")[1]) else 204
        if args.secret and not verified:
            status = 401
        try:
            kind = json.loads(body).get("type")
        except ValueError:
            kind = None
        with lock:
            log.write(json.dumps({
                "t": time.time(), "path": self.path, "id": message_id,
                "timestamp": headers.get("webhook-timestamp"),
                "signatures": len(headers.get("webhook-signature", "").split()),
                "verified": verified, "type": kind, "status": status,
                "content_type": headers.get("content-type"),
                # False when the sender died mid-request: the body is cut short.
                "complete": len(body) == length,
            }) + "\n")
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(args.port_file + ".tmp", args.port_file)
server.serve_forever()
