"""One delivery has one deadline for all of it, from its start: resolving the host,
connecting, TLS and the whole answer. A resolver that never answers, a listener that never
accepts, and a receiver that answers a byte at a time (each well within the deadline, over
plain http or TLS) are all cut off at the deadline, as a timeout."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from application.webhooks import resolve
from domain.webhooks.validation import parse_networks
from service.webhooks.sender import Answer, post
from tests.receiver import NeverAccepting

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

ANSWER = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Padding: " + b"x" * 40 + b"\r\n\r\n"
ALLOWED = parse_networks("127.0.0.0/8")
TIMEOUT = 1.0
BOUND = TIMEOUT + 5
"""How long a test waits for an attempt to end: far beyond its deadline, far below what
the receivers here would hold an attempt without one (a dribbled answer takes 18 s)."""


def attempt(
    url: str, resolver: Callable[[str, int], list[str]] = resolve
) -> Answer | BaseException:
    """One delivery in a thread of its own; its answer or error, once it ended."""
    outcome: list[Answer | BaseException] = []

    def run() -> None:
        try:
            outcome.append(post(url, b"{}", {}, ALLOWED, resolver, timeout=TIMEOUT))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND)
    assert not thread.is_alive(), "the attempt went on past its deadline"
    return outcome[0]


def dribble(listener: socket.socket, stopping: threading.Event, tls: ssl.SSLContext | None) -> None:
    """Answer one request one byte every 0.2 s."""
    connection, _ = listener.accept()
    with connection:
        stream = tls.wrap_socket(connection, server_side=True) if tls else connection
        stream.recv(65536)
        for byte in ANSWER:
            if stopping.is_set():
                return
            try:
                stream.sendall(bytes([byte]))
            except OSError:
                return
            time.sleep(0.2)


def dribbling(tls: ssl.SSLContext | None) -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    stopping = threading.Event()
    thread = threading.Thread(target=dribble, args=(listener, stopping, tls), daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stopping.set()
    listener.close()
    thread.join(5)


@pytest.fixture
def dribbling_receiver() -> Iterator[str]:
    """A receiver on loopback that sends its answer one byte every 0.2 s."""
    for port in dribbling(None):
        yield f"http://127.0.0.1:{port}/hooks"


@pytest.fixture
def dribbling_tls_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The same over TLS, its certificate (for 127.0.0.1) the one the sender trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # What the sender's TLS trusts.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    for port in dribbling(context):
        yield f"https://127.0.0.1:{port}/hooks"


@pytest.fixture
def never_accepting() -> Iterator[str]:
    listener = NeverAccepting()
    yield listener.url
    listener.stop()


@pytest.fixture
def stuck_resolver() -> Iterator[Callable[[str, int], list[str]]]:
    """A resolver that does not answer (until the test ends)."""
    release = threading.Event()

    def stuck(host: str, port: int) -> list[str]:
        release.wait(60)
        return ["127.0.0.1"]

    yield stuck
    release.set()


def test_an_answer_dribbled_a_byte_at_a_time_is_cut_off_at_the_deadline(
    dribbling_receiver: str,
) -> None:
    assert isinstance(attempt(dribbling_receiver), TimeoutError)


def test_an_answer_dribbled_a_byte_at_a_time_over_tls_is_cut_off_at_the_deadline(
    dribbling_tls_receiver: str,
) -> None:
    assert isinstance(attempt(dribbling_tls_receiver), TimeoutError)


def test_a_connection_never_accepted_is_cut_off_at_the_deadline(never_accepting: str) -> None:
    assert isinstance(attempt(never_accepting), TimeoutError)


def test_a_resolver_that_never_answers_is_cut_off_at_the_deadline(
    stuck_resolver: Callable[[str, int], list[str]],
) -> None:
    outcome = attempt("https://hooks.example.com/x", stuck_resolver)
    assert isinstance(outcome, TimeoutError)
