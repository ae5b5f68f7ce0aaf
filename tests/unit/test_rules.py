"""Each field rule, with values it accepts and values it rejects."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import InvalidSlugError, InvalidValueError, ReservedSlugError
from domain.rules import (
    check_color,
    check_country_code,
    check_email,
    check_external_id,
    check_hostname,
    check_https_url,
    check_name,
    check_phone,
    check_short_text,
    check_slug,
    merge_patch,
    metadata_problems,
    settings_problems,
)

REJECTED = [
    (check_name, ""),
    (check_name, "   "),
    (check_name, "x" * 257),
    (check_name, "Acme\x00Corp"),
    (check_name, "Acme\nCorp"),
    (check_slug, "ab"),
    (check_slug, "a" * 51),
    (check_slug, "acme_co"),
    (check_slug, "-acme"),
    (check_slug, "acme-"),
    (check_slug, "ac--me"),
    (check_slug, "acmé"),
    (check_external_id, ""),
    (check_external_id, "x" * 256),
    (check_external_id, "org\t1"),
    (check_country_code, "XX"),
    (check_country_code, "us"),
    (check_country_code, "USA"),
    (check_hostname, "localhost"),
    (check_hostname, "-bad.example.com"),
    (check_hostname, "exa mple.com"),
    (check_email, "not-an-email"),
    (check_email, "a@b"),
    (check_email, "a..b@example.com"),
    (check_phone, "4155550123"),
    (check_phone, "+0123"),
    (check_phone, "+1 415 555 0123"),
    (check_phone, "+10000000000"),  # E.164 in shape, but no such number (phonenumbers).
    (check_https_url, "https://user:pass@example.com/logo.png"),
    (check_hostname, "xn--.example.com"),
    (check_https_url, "http://example.com/logo.png"),
    (check_https_url, "https:///logo.png"),
    (check_https_url, "ftp://example.com"),
    (check_color, "#12345"),
    (check_color, "red"),
    (check_color, "#GGGGGG"),
    (check_short_text, "x" * 256),
]


@pytest.mark.parametrize(("rule", "value"), REJECTED)
def test_rule_rejects_value(rule: Any, value: str) -> None:
    with pytest.raises(InvalidValueError):
        rule(value)


ACCEPTED = [
    (check_name, "  Acme Financial Group ", "Acme Financial Group"),
    (check_slug, "Acme-Financial", "acme-financial"),
    (check_slug, "a1b", "a1b"),
    (check_external_id, "organization-test-6f0cd115", "organization-test-6f0cd115"),
    (check_country_code, "DE", "DE"),
    (check_hostname, "Shop.Example.com", "shop.example.com"),
    (check_email, "help@example.com", "help@example.com"),
    (check_phone, "+14155550123", "+14155550123"),
    (check_email, "info@bücher.de", "info@bücher.de"),
    (check_hostname, "Bücher.de", "bücher.de"),
    (check_country_code, "SS", "SS"),
    (check_https_url, "https://cdn.example.com/logo.png", "https://cdn.example.com/logo.png"),
    (check_color, "#00ff7f", "#00FF7F"),
]


@pytest.mark.parametrize(("rule", "value", "normal"), ACCEPTED)
def test_rule_accepts_and_normalises_value(rule: Any, value: str, normal: str) -> None:
    assert rule(value) == normal


@pytest.mark.parametrize("slug", ["admin", "API", "www", "cdn", "fanfare"])
def test_reserved_slugs_are_refused_whatever_their_case(slug: str) -> None:
    with pytest.raises(ReservedSlugError):
        check_slug(slug)


def test_reserved_slug_list_is_configurable() -> None:
    assert check_slug("admin", frozenset({"billing"})) == "admin"
    with pytest.raises(ReservedSlugError):
        check_slug("billing", frozenset({"billing"}))


def test_malformed_slug_is_invalid_not_reserved() -> None:
    with pytest.raises(InvalidSlugError):
        check_slug("a--b")


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "settings.timezone"),
        ({"timezone": 5}, "settings.timezone"),
        ({"defaultCurrency": "XYZ"}, "settings.defaultCurrency"),
        ({"defaultCurrency": "usd"}, "settings.defaultCurrency"),
        ({"fiscalYearStart": "13-01"}, "settings.fiscalYearStart"),
        ({"fiscalYearStart": "02-30"}, "settings.fiscalYearStart"),
        ({"fiscalYearStart": "2-1"}, "settings.fiscalYearStart"),
        ({"locale": "english please"}, "settings.locale"),
        ({"locale": "zz-ZZ"}, "settings.locale"),  # The shape of a tag; no such language.
        ({"blob": "x" * (16 * 1024)}, "settings"),
        ({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}, "settings"),
    ],
)
def test_settings_rule_rejects(settings: dict[str, Any], field: str) -> None:
    assert [p.field for p in settings_problems(settings)] == [field]


def test_known_and_free_form_settings_are_accepted() -> None:
    settings = {
        "timezone": "America/Los_Angeles",
        "defaultCurrency": "EUR",
        "fiscalYearStart": "04-01",
        "locale": "pt-BR",
        "notifications": {"email": {"enabled": True}},
        "a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}},
    }
    assert settings_problems(settings) == []


@pytest.mark.parametrize(
    "metadata",
    [
        {"": "empty key"},
        {"k" * 41: "long key"},
        {"key": "v" * 501},
        {f"k{i}": "v" for i in range(51)},
    ],
)
def test_metadata_rule_rejects(metadata: dict[str, str]) -> None:
    assert metadata_problems(metadata) != []


def test_merge_patch_follows_rfc_7396() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    patch = {"a": "z", "c": {"f": None}, "n": [1]}
    assert merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}, "n": [1]}
