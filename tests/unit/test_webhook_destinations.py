"""Where a webhook URL may lead: every address its host resolves to is checked."""

from __future__ import annotations

import pytest

from application.webhooks import resolve
from domain.errors import WebhookUrlRefusedError
from domain.webhooks.validation import destination, parse_networks
from service.webhooks.sender import host_header


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    with pytest.raises(WebhookUrlRefusedError, match="internal"):
        destination("https://hooks.example.com/x", (), lambda host, port: ["10.1.2.3"])


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    addresses = ["93.184.216.34", "192.168.1.5"]
    with pytest.raises(WebhookUrlRefusedError):
        destination("https://hooks.example.com/x", (), lambda host, port: addresses)


def test_the_address_checked_is_the_one_connected_to() -> None:
    found = destination("https://hooks.example.com/x", (), lambda host, port: ["93.184.216.34"])
    assert found == "93.184.216.34"


def test_an_allowed_network_may_be_reached_over_plain_http() -> None:
    allowed = parse_networks("127.0.0.0/8")
    assert destination("http://127.0.0.1:9/x", allowed, lambda h, p: ["127.0.0.1"]) == "127.0.0.1"


def test_an_ipv4_mapped_loopback_address_is_refused() -> None:
    with pytest.raises(WebhookUrlRefusedError):
        destination("https://[::ffff:127.0.0.1]/x", (), lambda host, port: ["::ffff:127.0.0.1"])


def test_a_6to4_address_carrying_a_loopback_one_is_refused() -> None:
    with pytest.raises(WebhookUrlRefusedError, match="internal"):
        destination("https://[2002:7f00:1::]/x", (), lambda host, port: ["2002:7f00:1::"])


def test_an_address_of_the_shared_carrier_grade_nat_space_is_refused() -> None:
    with pytest.raises(WebhookUrlRefusedError, match="internal"):
        destination("https://hooks.example.com/x", (), lambda host, port: ["100.64.0.1"])


@pytest.mark.parametrize("url", ["https://2130706433/x", "https://0x7f.1/x", "https://0177.1/x"])
def test_a_loopback_address_in_decimal_hex_or_octal_form_is_refused(url: str) -> None:
    with pytest.raises(WebhookUrlRefusedError, match="internal"):
        destination(url, (), resolve)


@pytest.mark.parametrize(
    "address",
    [
        "::127.0.0.1",  # IPv4-compatible (deprecated): reserved, and carrying a loopback one.
        "::ffff:0:a00:1",  # IPv4-translated.
        "64:ff9b::a00:1",  # NAT64: the gateway would connect to 10.0.0.1.
        "64:ff9b::a9fe:a9fe",  # NAT64 to the metadata service.
        "64:ff9b:1::a00:1",  # Local-use NAT64.
        "fec0::1",  # Site-local.
        "192.0.0.192",  # Oracle Cloud's metadata service (IETF protocol assignments).
        "168.63.129.16",  # Azure's wire server.
    ],
)
def test_an_address_carrying_or_reaching_an_internal_one_is_refused(address: str) -> None:
    with pytest.raises(WebhookUrlRefusedError, match="internal"):
        destination("https://hooks.example.com/x", (), lambda host, port: [address])


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d822", "::ffff:5db8:d822"])
def test_an_ipv6_form_carrying_a_public_ipv4_address_is_allowed(address: str) -> None:
    found = destination("https://hooks.example.com/x", (), lambda host, port: [address])
    assert found == address


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://hooks.example.com/x", "hooks.example.com"),
        ("https://hooks.example.com:443/x", "hooks.example.com"),
        ("https://hooks.example.com:8443/x", "hooks.example.com:8443"),
        ("http://hooks.example.com:80/x", "hooks.example.com"),
        ("http://hooks.example.com:443/x", "hooks.example.com:443"),
        ("https://[2001:db8::1]/x", "[2001:db8::1]"),
        ("https://bücher.example/x", "xn--bcher-kva.example"),
    ],
)
def test_a_request_names_its_host_with_a_port_only_if_not_the_schemes(url: str, host: str) -> None:
    assert host_header(url) == host
