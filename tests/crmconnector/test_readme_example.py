"""The guide's example connector, taken from crmconnector/README.md as written, works against a local server
speaking the protocol the guide describes."""

import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crmconnector.connectors import CrmNotFound, CrmValidationError, connector_registry
from crmconnector.customers import crm_customer_create, crm_customer_get, crm_customer_search, crm_customer_update
from crmconnector.models import CrmConnectorProperty
from crmconnector.services import connection_test
from tests.crmconnector.conftest import make_configuration

README = Path(__file__).resolve().parents[2] / "crmconnector" / "README.md"
TOKEN = "acme-token"


def _example_code() -> str:
    section = README.read_text().split("## 2. A complete example", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


class AcmeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    people: dict[str, dict] = {}

    def log_message(self, *args):
        pass

    def _answer(self, status, data):
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, {"error": "token"})
            return False
        return True

    def _body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

    def do_GET(self):
        if not self._authorized():
            return
        url = urlsplit(self.path)
        if url.path == "/api/people":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            words = query.get("q", "").lower().split()
            found = [p for p in self.people.values() if all(w in json.dumps(p).lower() for w in words)]
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
            return self._answer(200, {"people": found[offset : offset + limit], "total": len(found)})
        person = self.people.get(url.path.rsplit("/", 1)[-1])
        return self._answer(200, person) if person else self._answer(404, {})

    def do_POST(self):
        if not self._authorized():
            return
        body = self._body()
        if not body.get("surname"):
            return self._answer(422, {"field_errors": {"surname": ["Acme needs a surname."]}})
        person = {"id": len(self.people) + 1, **body}
        self.people[str(person["id"])] = person
        return self._answer(201, person)

    def do_PUT(self):
        if not self._authorized():
            return
        person = self.people.get(self.path.rsplit("/", 1)[-1])
        if person is None:
            return self._answer(404, {})
        person.update(self._body())
        return self._answer(200, person)


@pytest.fixture
def acme(tmp_path, monkeypatch):
    package = tmp_path / "acme_crm_connector"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "connector.py").write_text(_example_code())
    monkeypatch.syspath_prepend(str(tmp_path))
    from acme_crm_connector.connector import AcmeConnector

    connector_registry.register(AcmeConnector)
    AcmeHandler.people = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), AcmeHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    connector_registry.unregister("acme")
    for name in [n for n in sys.modules if n.startswith("acme_crm_connector")]:
        del sys.modules[name]


@pytest.mark.django_db
def test_the_guides_example_connector(org_admin, acme):
    configuration = make_configuration(
        org_admin,
        url=acme,
        connector="acme",
        options={"region": "eu"},
        secret=TOKEN,
        properties=[
            CrmConnectorProperty(external_field="id", label="Id", is_reference=True, editable_on_edit=False),
            CrmConnectorProperty(external_field="surname", label="Surname", searchable=True),
            CrmConnectorProperty(external_field="mail", label="Mail", property_type="email", searchable=True),
        ],
    )
    assert connection_test(actor=org_admin, configuration=configuration)[0]
    created = crm_customer_create(configuration=configuration, values={"surname": "Hopper", "mail": "g@example.com"})
    assert created.reference == "1"
    [found] = crm_customer_search(configuration=configuration, filters={"surname": "hopper"}).customers
    assert found.values == {"id": 1, "surname": "Hopper", "mail": "g@example.com"}
    updated = crm_customer_update(configuration=configuration, reference="1", values={"mail": "grace@example.com"})
    assert updated.values["mail"] == "grace@example.com"
    assert crm_customer_get(configuration=configuration, reference="1").values["surname"] == "Hopper"
    with pytest.raises(CrmNotFound):
        crm_customer_get(configuration=configuration, reference="7")
    with pytest.raises(CrmValidationError) as caught:
        crm_customer_create(configuration=configuration, values={"mail": "x@example.com", "surname": " "})
    assert caught.value.errors == {"surname": ["Acme needs a surname."]}
