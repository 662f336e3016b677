"""Rules without a database: the retry schedule, signatures, target checks, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import ip_network

import pytest
from pydantic import SecretStr, ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from common import Environment, generate_event_signing_secret
from webhooks.config import STANDARD_RETRY_SCHEDULE, Settings
from webhooks.crypto import InvalidToken, SecretCipher
from webhooks.delivery.rules import next_wait, signature_headers
from webhooks.targets import TargetPolicy, TargetRefusedError

SCHEDULE = [timedelta(seconds=s) for s in STANDARD_RETRY_SCHEDULE]


class TestRetrySchedule:
    def test_follows_standard_webhooks_then_stops(self) -> None:
        waits = [next_wait(failures, SCHEDULE) for failures in range(1, 9)]
        assert waits[:7] == [
            timedelta(seconds=5),
            timedelta(minutes=5),
            timedelta(minutes=30),
            timedelta(hours=2),
            timedelta(hours=5),
            timedelta(hours=10),
            timedelta(hours=10),
        ]
        assert waits[7] is None

    def test_covers_at_least_a_day(self) -> None:
        assert sum(SCHEDULE, timedelta()) >= timedelta(hours=24)


class TestSignatures:
    def test_every_secret_verifies_and_no_other(self) -> None:
        new, old, stranger = (generate_event_signing_secret() for _ in range(3))
        body = b'{"id":"e1","type":"t"}'
        headers = signature_headers("e1", body, [new, old], datetime.now(UTC))
        assert len(headers["webhook-signature"].split(" ")) == 2
        Webhook(new).verify(body, headers, json_parse=False)
        Webhook(old).verify(body, headers, json_parse=False)
        with pytest.raises(WebhookVerificationError):
            Webhook(stranger).verify(body, headers, json_parse=False)
        with pytest.raises(WebhookVerificationError):
            Webhook(new).verify(body + b" ", headers, json_parse=False)


class TestTargetPolicy:
    policy = TargetPolicy()

    @pytest.mark.parametrize(
        ("url", "why"),
        [
            ("http://hooks.example/x", "https"),
            ("ftp://hooks.example/x", "https"),
            ("https://user:pw@hooks.example/x", "credentials"),
            ("https://user@hooks.example/x", "credentials"),
            ("https:///x", "no host"),
            ("https://hooks.example:99999/x", "malformed"),
        ],
    )
    def test_refuses_bad_urls(self, url: str, why: str) -> None:
        with pytest.raises(TargetRefusedError, match=why):
            self.policy.parse(url)

    def test_origin_has_the_default_port(self) -> None:
        assert self.policy.parse("https://Hooks.Example/x?y=1").origin == (
            "https://hooks.example:443"
        )

    @pytest.mark.parametrize(
        "address",
        [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",  # noqa: S104 - an address refused, not bound
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "not-an-address",
        ],
    )
    def test_refuses_non_public_addresses(self, address: str) -> None:
        assert not self.policy.address_allowed(address)

    @pytest.mark.parametrize("address", ["93.184.215.14", "2a00:1450:4007:80e::200e"])
    def test_allows_public_addresses(self, address: str) -> None:
        assert self.policy.address_allowed(address)

    def test_allowed_networks_open_private_ranges(self) -> None:
        policy = TargetPolicy(allowed_networks=(ip_network("127.0.0.0/8"),))
        assert policy.address_allowed("127.0.0.1")
        assert policy.address_allowed("::ffff:127.0.0.1")
        assert not policy.address_allowed("10.0.0.1")

    def test_one_bad_address_refuses_the_host(self) -> None:
        with pytest.raises(TargetRefusedError, match=r"10\.0\.0\.1"):
            self.policy.refuse_addresses("h.example", ["93.184.215.14", "10.0.0.1"])


class TestSecretCipher:
    def test_encrypts_and_rotates_keys(self) -> None:
        from cryptography.fernet import Fernet

        old_key, new_key = (
            Fernet.generate_key().decode(),
            Fernet.generate_key().decode(),
        )
        token = SecretCipher(old_key).encrypt("whsec_abc")
        assert "whsec_abc" not in token
        assert SecretCipher(new_key, [old_key]).decrypt(token) == "whsec_abc"
        with pytest.raises(InvalidToken):
            SecretCipher(new_key).decrypt(token)


class TestSettings:
    def production(self, **values: object) -> Settings:
        return Settings(
            environment=Environment.PRODUCTION,
            database_url="postgresql+asyncpg://webhooks@db/webhooks",
            internal_token_public_key=SecretStr("pem"),
            **values,  # type: ignore[arg-type]
        )

    def test_production_refuses_the_development_key(self) -> None:
        with pytest.raises(ValidationError, match="WEBHOOKS_SECRET_ENCRYPTION_KEY"):
            self.production()

    def test_production_refuses_a_clock_offset(self) -> None:
        from cryptography.fernet import Fernet

        with pytest.raises(ValidationError, match="CLOCK_OFFSET"):
            self.production(
                secret_encryption_key=SecretStr(Fernet.generate_key().decode()),
                clock_offset_seconds=60,
            )

    def test_production_accepts_its_own_key(self) -> None:
        from cryptography.fernet import Fernet

        settings = self.production(
            secret_encryption_key=SecretStr(Fernet.generate_key().decode())
        )
        assert settings.retry_schedule()[-1] == timedelta(hours=10)

    def test_refuses_a_malformed_key(self) -> None:
        with pytest.raises(ValidationError, match="Fernet key"):
            Settings(secret_encryption_key=SecretStr("not-a-key"))

    def test_refuses_a_lease_shorter_than_an_attempt(self) -> None:
        with pytest.raises(ValidationError, match="LEASE"):
            Settings(delivery_timeout_seconds=30, delivery_lease_seconds=20)
