"""A small JSON REST CRM for tests: customers in memory, served by a threaded http.server on 127.0.0.1.

    GET    /customers?page=&page_size=&email=&name=&phone=   {"results": [...], "count": N}
    GET    /customers/{id}                                   the customer or 404
    POST   /customers                                        201 with the customer; 400 {"errors": {...}}; 409 duplicate
    PATCH  /customers/{id}                                   200 with the customer; 400; 404
    GET    /health                                           {"status": "ok"}

Knobs, settable while it runs: `delay` (seconds before answering), `fail_status` (answer every request
with this status), `close_connection` (drop the connection without an answer; `close_next`: only the
next N), `trickle` (send the body a byte at a time, this many seconds apart), `api_key` (required in
X-Api-Key when set). `requests` counts the requests received.
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")


@dataclass
class CrmState:
    customers: dict[str, dict] = field(default_factory=dict)
    next_id: int = 1
    delay: float = 0.0
    fail_status: int | None = None
    close_connection: bool = False
    close_next: int = 0  # drop only this many next connections
    trickle: float = 0.0  # seconds between the bytes of an answer's body (headers go at once)
    api_key: str | None = None
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **values) -> dict:
        with self.lock:
            customer = {"id": f"C{self.next_id:05d}", **values}
            self.next_id += 1
            self.customers[customer["id"]] = customer
            return customer

    def reset_faults(self) -> None:
        self.delay, self.fail_status, self.close_connection, self.trickle = 0.0, None, False, 0.0


def _errors(body: dict, creating: bool) -> dict:
    errors = {}
    if creating and not body.get("last_name"):
        errors["last_name"] = ["The CRM requires a last name."]
    email = body.get("email")
    # Stricter than the back office: the reserved .invalid domain is refused.
    if email is not None and (not EMAIL.fullmatch(str(email)) or str(email).endswith(".invalid")):
        errors["email"] = ["The CRM says this e-mail is not valid."]
    return errors


class Handler(BaseHTTPRequestHandler):
    server_version = "TestCrm/1"
    protocol_version = "HTTP/1.1"
    # Headers and body go in separate writes: with Nagle's algorithm the body waits for a delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *args):  # quiet
        pass

    @property
    def state(self) -> CrmState:
        return self.server.state  # type: ignore[attr-defined]

    def _answer(self, status: int, data) -> None:
        body = b"" if data is None else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.state.trickle:
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                time.sleep(self.state.trickle)
            return
        self.wfile.write(body)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(length) or b"{}")
        return data if isinstance(data, dict) else {}

    def _faults(self) -> bool:
        state = self.state
        with state.lock:
            state.requests += 1
        if state.delay:
            time.sleep(state.delay)
        with state.lock:
            drop_one = state.close_next > 0
            state.close_next -= 1 if drop_one else 0
        if state.close_connection or drop_one:
            self.close_connection = True
            self.connection.close()
            return True
        if state.fail_status:
            self._answer(state.fail_status, {"error": "failure"})
            return True
        if state.api_key and self.headers.get("X-Api-Key") != state.api_key:
            self._answer(401, {"error": "unauthorized"})
            return True
        return False

    def do_GET(self):
        if self._faults():
            return
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/health":
            return self._answer(200, {"status": "ok"})
        if url.path == "/customers":
            rows = sorted(self.state.customers.values(), key=lambda c: c["id"])
            for name in ("email", "last_name", "phone", "first_name"):
                if query.get(name):
                    rows = [r for r in rows if query[name].lower() in str(r.get(name, "")).lower()]
            page, size = int(query.get("page", 1)), int(query.get("page_size", 20))
            return self._answer(200, {"results": rows[(page - 1) * size : page * size], "count": len(rows)})
        match = re.fullmatch(r"/customers/([^/]+)", url.path)
        if match and match.group(1) in self.state.customers:
            return self._answer(200, self.state.customers[match.group(1)])
        return self._answer(404, {"error": "not found"})

    def do_POST(self):
        if self._faults():
            return
        if urlsplit(self.path).path != "/customers":
            return self._answer(404, {"error": "not found"})
        body = self._body()
        errors = _errors(body, creating=True)
        if errors:
            return self._answer(400, {"errors": errors})
        if any(c.get("email") == body.get("email") for c in self.state.customers.values() if body.get("email")):
            return self._answer(409, {"error": "duplicate e-mail"})
        return self._answer(201, self.state.add(**body))

    def do_PATCH(self):
        if self._faults():
            return
        match = re.fullmatch(r"/customers/([^/]+)", urlsplit(self.path).path)
        if not match or match.group(1) not in self.state.customers:
            return self._answer(404, {"error": "not found"})
        body = self._body()
        errors = _errors(body, creating=False)
        if errors:
            return self._answer(400, {"errors": errors})
        customer = self.state.customers[match.group(1)]
        customer.update({k: v for k, v in body.items() if k != "id"})
        return self._answer(200, customer)


class RestCrmServer:
    """Start with `with RestCrmServer() as crm:`; `crm.url` is its base URL, `crm.state` its data and knobs."""

    def __init__(self):
        self.state = CrmState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.state = self.state  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "RestCrmServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
