"""Which of an endpoint's secrets sign: expiries compared as instants, whatever offset or
form they were written in; a rotation caps every older secret's expiry; expired secrets
are dropped with an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from domain.webhooks.endpoint import WebhookEndpoint, signing

NOW = datetime(2026, 1, 1, 11, 0, tzinfo=UTC)


def secrets(expires_at: str | None) -> list[dict[str, str | None]]:
    return [{"id": "new", "expires_at": None}, {"id": "old", "expires_at": expires_at}]


@pytest.mark.parametrize(
    "expires_at",
    [
        "2026-01-01T12:00:00+02:00",  # 10:00 UTC; as text, after "2026-01-01T11:00:00+00:00".
        "2026-01-01T10:59:59Z",  # As text, "Z" sorts after "+" and ".".
        "2026-01-01T10:59:59.999999+00:00",
    ],
)
def test_a_secret_expired_in_any_offset_or_form_signs_no_more(expires_at: str) -> None:
    assert signing(secrets(expires_at), NOW) == ["new"]


@pytest.mark.parametrize(
    "expires_at", ["2026-01-01T06:30:00-05:00", "2026-01-01T11:00:00.000001+00:00"]
)
def test_a_secret_before_its_expiry_in_any_offset_signs(expires_at: str) -> None:
    assert signing(secrets(expires_at), NOW) == ["new", "old"]


def endpoint() -> WebhookEndpoint:
    return WebhookEndpoint(None, "https://hooks.example.com/x", None, None, uuid4())


def test_a_rotation_in_another_offset_keeps_the_expiry_in_utc() -> None:
    hook = endpoint()
    hook.rotate_secret(uuid4(), datetime(2026, 1, 1, 16, 0, tzinfo=timezone(timedelta(hours=2))))
    assert hook.secrets[1]["expires_at"] == "2026-01-01T14:00:00+00:00"


def test_a_rotation_with_a_shorter_overlap_cuts_every_older_secrets_expiry() -> None:
    hook = endpoint()
    hook.rotate_secret(uuid4(), NOW + timedelta(days=1))
    hook.rotate_secret(uuid4(), NOW)
    assert [s["expires_at"] for s in hook.secrets[1:]] == [NOW.isoformat()] * 2


def test_a_rotation_with_a_longer_overlap_does_not_extend_an_older_secrets_expiry() -> None:
    hook = endpoint()
    hook.rotate_secret(uuid4(), NOW)
    hook.rotate_secret(uuid4(), NOW + timedelta(days=1))
    assert hook.secrets[2]["expires_at"] == NOW.isoformat()


def test_expired_secrets_are_dropped_with_an_event_naming_them() -> None:
    hook = endpoint()
    first = hook.secrets[0]["id"]
    hook.rotate_secret(uuid4(), NOW)
    hook.drop_expired_secrets(NOW)
    dropped = hook.collect_events()[-1]
    assert isinstance(dropped, WebhookEndpoint.SecretsExpired)
    assert (dropped.secret_ids, [s["id"] for s in hook.secrets]) == (
        [first],
        [hook.secrets[0]["id"]],
    )


def test_nothing_is_recorded_when_no_secret_has_expired() -> None:
    hook = endpoint()
    hook.rotate_secret(uuid4(), NOW + timedelta(seconds=1))
    hook.collect_events()
    hook.drop_expired_secrets(NOW)
    assert hook.collect_events() == []
