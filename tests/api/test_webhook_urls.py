"""Where webhooks may not go, on each store, with no network allowed: URLs to internal
addresses (and a name resolving to one) are refused with 400 and a code, nothing recorded
and no connection made; an endpoint whose address is no longer allowed is refused again
at each delivery, and nothing is sent."""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING

import pytest

from application import webhooks
from tests.api.conftest import InProcessServer
from tests.helpers import ADMIN, ORGS, new_org
from tests.receiver import Receiver, eventually

if TYPE_CHECKING:
    from collections.abc import Iterator

HOOKS = "/api/v1/webhook-endpoints"
SECRET_KEY = "test-secret-key-0123456789abcdef"


@pytest.fixture(scope="module")
def server(module_database_url: str) -> Iterator[InProcessServer]:
    running = InProcessServer(module_database_url, secret_key=SECRET_KEY)  # No network allowed.
    yield running
    running.stop()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listener on loopback: any connection to it waits in its queue, to be seen."""
    listening = socket.create_server(("127.0.0.1", 0))
    listening.setblocking(False)
    yield listening
    listening.close()


def connected(listening: socket.socket) -> bool:
    try:
        listening.accept()[0].close()
    except BlockingIOError:
        return False
    return True


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]:{port}/hook",
        "https://127.0.0.1:{port}/hook",
        "http://127.0.0.1:{port}/hook",
        "https://localhost:{port}/hook",  # A name resolving to a loopback address.
        "https://localhost.:{port}/hook",  # The same name, fully qualified.
        "https://127.0.0.1.:{port}/hook",
        "https://2130706433:{port}/hook",  # 127.0.0.1 as one decimal number,
        "https://0177.0.0.1:{port}/hook",  # in octal,
        "https://0x7f.1:{port}/hook",  # in hex, shortened.
        "https://[::ffff:7f00:1]:{port}/hook",  # IPv4-mapped.
        "https://[::127.0.0.1]:{port}/hook",  # IPv4-compatible.
        "https://[64:ff9b::a00:1]/hook",  # NAT64 to 10.0.0.1.
        "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 to the metadata service.
        "https://[fec0::1]/hook",  # Site-local.
        "https://192.0.0.192/hook",  # Oracle Cloud's metadata service.
    ],
)
def test_a_url_to_an_internal_address_is_refused_with_no_connection_made(
    server: InProcessServer, listener: socket.socket, url: str
) -> None:
    before = server.client.get(HOOKS, headers=ADMIN).json()["endpoints"]
    body = {"url": url.format(port=listener.getsockname()[1])}
    answer = server.client.post(HOOKS, json=body, headers=ADMIN)
    assert (answer.status_code, answer.json()["code"]) == (400, "WEBHOOK_URL_NOT_ALLOWED")
    assert server.client.get(HOOKS, headers=ADMIN).json()["endpoints"] == before
    assert connected(listener) is False


def test_an_endpoint_whose_address_is_no_longer_allowed_is_refused_at_delivery(
    database_url: str,
) -> None:
    receiver = Receiver()
    allowing = InProcessServer(
        database_url, secret_key=SECRET_KEY, webhook_allowed_networks="127.0.0.0/8"
    )
    try:
        org = new_org(allowing)
        created = allowing.client.post(
            f"{ORGS}/{org['id']}/webhook-endpoints", json={"url": receiver.url}, headers=ADMIN
        )
        assert created.status_code == 201, created.text
    finally:
        allowing.stop()
    refusing = InProcessServer(database_url, secret_key=SECRET_KEY)
    try:
        refusing.client.patch(f"{ORGS}/{org['id']}", json={"name": "New"}, headers=ADMIN)
        page = f"{HOOKS}/{created.json()['endpoint']['id']}/deliveries"
        tried = eventually(
            lambda: (
                (d := refusing.client.get(page, headers=ADMIN).json()["deliveries"])
                and d[0]["attempts"]
                and d[0]
            )
        )
    finally:
        refusing.stop()
        receiver.stop()
    assert (tried["lastStatus"], tried["deliveredAt"]) == ("refused", None)
    assert (receiver.received, receiver.refused) == ([], 0)


def test_a_name_resolving_to_a_private_address_is_refused(
    server: InProcessServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No DNS server can run here: the system resolver answers one made-up name with a
    # private address (and every other name as before), as an intranet's DNS would.
    system = socket.getaddrinfo

    def intranet(host: str, *args: object, **kwargs: object) -> object:
        if host == "hooks.intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443))]
        return system(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", intranet)
    before = server.client.get(HOOKS, headers=ADMIN).json()["endpoints"]
    body = {"url": "https://hooks.intranet.example/hook"}
    answer = server.client.post(HOOKS, json=body, headers=ADMIN)
    assert (answer.status_code, answer.json()["code"]) == (400, "WEBHOOK_URL_NOT_ALLOWED")
    assert server.client.get(HOOKS, headers=ADMIN).json()["endpoints"] == before


def test_a_name_that_does_not_resolve_in_time_is_refused(
    server: InProcessServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A resolver that never answers for one name (the registration must not wait on it).
    system, released = socket.getaddrinfo, threading.Event()

    def silent(host: str, *args: object, **kwargs: object) -> object:
        if host == "hooks.silent.example":
            released.wait(30)
            raise socket.gaierror("no answer")
        return system(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    monkeypatch.setattr(webhooks, "RESOLVE_SECONDS", 0.2)
    try:
        body = {"url": "https://hooks.silent.example/hook"}
        answer = server.client.post(HOOKS, json=body, headers=ADMIN)
    finally:
        released.set()
    assert (answer.status_code, answer.json()["code"]) == (400, "WEBHOOK_URL_NOT_ALLOWED")
