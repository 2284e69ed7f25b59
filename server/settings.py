"""Settings: the only module that reads the environment.

Every variable is listed, with its default and meaning, in `.env.example`;
`tests/test_settings.py` fails when one is missing there.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from starlette.config import Config
from starlette.datastructures import Secret

# Names of every environment variable Sésame reads (checked against .env.example).
VARIABLES = (
    "SESAME_DATA",
    "PORT",
    "SESAME_HOST",
    "SESAME_ORIGIN",
    "SESAME_RP_ID",
    "SESAME_SECRET_KEY",
    "SESAME_REPLICA_URL",
    "SESAME_REPLICA_ENDPOINT",
    "SESAME_SECURE_COOKIES",
    "SESAME_LOG_LEVEL",
    "SESAME_MAX_FILE_MB",
    # hardening (issue 7)
    "SESAME_TRUSTED_PROXIES",
    "SESAME_MAX_ACCOUNT_MB",
    # signed attestations (issue 9, ADR 0014)
    "SESAME_ATTESTATION_KEYS",
    # attestations issued and renewed on a schedule (issue 9, ADR 0015)
    "SESAME_RENEW_EVERY_MINUTES",
    # documents on S3, health and metrics (issue 13)
    "SESAME_BLOB_STORE",
    "SESAME_S3_BUCKET",
    "SESAME_S3_PREFIX",
    "SESAME_S3_ENDPOINT",
    "SESAME_S3_REGION",
    "SESAME_S3_SSE",
    "SESAME_S3_KMS_KEY_ID",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "SESAME_METRICS_TOKEN",
    "SESAME_METRICS_NETWORKS",
    "SESAME_READY_MAX_LAG",
    # reaching people: reminders, e-mail, SMS (issue 14, ADR 0023)
    "SESAME_NOTIFY_EVERY_SECONDS",
    "SESAME_NOTIFY_DIGEST_MINUTES",
    "SESAME_NOTIFY_MAX_ATTEMPTS",
    "SESAME_NOTIFY_RETRY_SECONDS",
    "SESAME_NOTIFY_LEASE_SECONDS",
    "SESAME_SMTP_URL",
    "SESAME_MAIL_FROM",
    "SESAME_SMS_URL",
    "SESAME_SMS_TOKEN",
    "SESAME_SMS_SENDER",
    # Web Push (issue 14, ADR 0024)
    "SESAME_VAPID_PRIVATE_KEY",
    "SESAME_VAPID_SUBJECT",
)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    port: int = 8000
    host: str = "127.0.0.1"
    origin: str = "http://localhost:8000"
    rp_id: str = "localhost"
    rp_name: str = "Sésame"
    secret_key: Secret = field(default_factory=lambda: Secret(secrets.token_hex(32)))
    replica_url: str = ""
    replica_endpoint: str = ""
    secure_cookies: bool = False
    log_level: str = "info"
    max_file_bytes: int = 20 * 1024 * 1024  # per uploaded file; no cap on a file's total
    # Everything one person has uploaded, kept or still arriving (generous: ~100 files).
    max_account_bytes: int = 2000 * 1024 * 1024
    # Durations, in seconds. Applicants may stay offline for weeks: their
    # sessions slide; agents handle other people's data: theirs do not.
    applicant_session_seconds: int = 90 * 24 * 3600
    staff_session_seconds: int = 12 * 3600
    challenge_seconds: int = 300
    invitation_seconds: int = 7 * 24 * 3600
    # hardening (issue 7): addresses of the reverse proxies whose X-Forwarded-For
    # is believed (IP addresses or networks); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # signed attestations (issue 9, ADR 0014): the folder of the prefectures'
    # signing keys; keys are made on first use only in the default folder.
    attestation_keys: Path | None = None
    attestation_keys_generate: bool = True
    # attestations (issue 9, ADR 0015): how often the server process issues and
    # renews attestations; 0: never (a cron runs `sesame attestations renew`).
    renew_every_minutes: int = 60
    # documents on S3 (issue 13, ADR 0019): "file" (under the data folder) or "s3"
    blob_store: str = "file"
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: Secret = Secret("")
    s3_sse: str = "AES256"
    s3_kms_key_id: str = ""
    # /metrics: a bearer token, or networks allowed without one; closed when neither
    metrics_token: Secret = Secret("")
    metrics_networks: tuple[str, ...] = ()
    # /readyz fails when the replica lags the database by more than this (seconds)
    ready_max_lag: float = 60.0
    # reaching people (issue 14, ADR 0023): a dispatcher pass every N seconds in
    # the server process (0: never; a cron runs `sesame notify run`); one message
    # per person per digest window; retries with a doubling wait, then give up;
    # how long a claimed send is held before another pass may take it again.
    notify_every_seconds: float = 5.0
    notify_digest_minutes: float = 10.0
    notify_max_attempts: int = 6
    notify_retry_seconds: float = 60.0
    notify_lease_seconds: float = 120.0
    # e-mail over SMTP (smtp://, smtp+starttls://, smtps://); empty: no e-mail
    smtp_url: str = ""
    mail_from: str = "Sésame <sesame@localhost>"
    # SMS through an HTTP provider (JSON POST, bearer token); empty: no SMS
    sms_url: str = ""
    sms_token: Secret = Secret("")
    sms_sender: str = "Sesame"
    # Web Push (ADR 0024): the VAPID private key (PEM, or base64url of the raw
    # P-256 scalar); empty: one is made on first use and kept in the data folder.
    vapid_private_key: Secret = Secret("")
    # who the push services may contact about our pushes (mailto: or https:)
    vapid_subject: str = "mailto:root@localhost"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "sesame.db"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def attestation_keys_dir(self) -> Path:
        return self.attestation_keys or self.data_dir / "keys"

    @property
    def vapid_key_path(self) -> Path:
        """Where the VAPID key made on first use is kept (when none is set)."""
        return self.data_dir / "vapid.pem"

    @property
    def replica_dir(self) -> Path:
        return self.data_dir / "replica"

    @property
    def litestream_config_path(self) -> Path:
        return self.data_dir / "litestream.yml"

    @property
    def is_localhost(self) -> bool:
        return self.rp_id in ("localhost", "127.0.0.1") or self.rp_id.endswith(".localhost")


def _secret_key(config: Config, data_dir: Path) -> Secret:
    """The key that peppers recovery-code hashes and signs tokens.

    Without SESAME_SECRET_KEY, one is generated once and kept beside the
    database (mode 0600), so a restart keeps recovery codes valid.
    """
    value = config("SESAME_SECRET_KEY", default="")
    if value:
        return Secret(value)
    key_file = data_dir / "secret.key"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return Secret(key_file.read_text().strip())


def _networks(value: str, name: str) -> tuple[str, ...]:
    """Comma-separated addresses or networks, checked now (a typo would
    otherwise trust nothing, or the wrong host, in silence)."""
    found = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{name}: {item!r} is not an IP address or network") from None
        found.append(item)
    return tuple(found)


def _blob_store(config: Config) -> dict[str, object]:
    kind = config("SESAME_BLOB_STORE", default="file").strip().lower()
    if kind not in ("file", "s3"):
        raise ValueError(f"SESAME_BLOB_STORE: {kind!r} is neither 'file' nor 's3'")
    bucket = config("SESAME_S3_BUCKET", default="")
    if kind == "s3" and not bucket:
        raise ValueError("SESAME_BLOB_STORE=s3 needs SESAME_S3_BUCKET")
    prefix = config("SESAME_S3_PREFIX", default="").strip("/")
    sse = config("SESAME_S3_SSE", default="AES256").strip()
    if sse.lower() in ("", "off", "none"):
        sse = ""
    elif sse not in ("AES256", "aws:kms"):
        raise ValueError(f"SESAME_S3_SSE: {sse!r} is none of AES256, aws:kms, off")
    return {
        "blob_store": kind,
        "s3_bucket": bucket,
        "s3_prefix": f"{prefix}/" if prefix else "",
        "s3_endpoint": config("SESAME_S3_ENDPOINT", default="").rstrip("/"),
        "s3_region": config("SESAME_S3_REGION", default="us-east-1"),
        "s3_access_key": config("AWS_ACCESS_KEY_ID", default=""),
        "s3_secret_key": Secret(config("AWS_SECRET_ACCESS_KEY", default="")),
        "s3_sse": sse,
        "s3_kms_key_id": config("SESAME_S3_KMS_KEY_ID", default=""),
    }


def _notify(config: Config, rp_id: str) -> dict[str, object]:
    smtp_url = config("SESAME_SMTP_URL", default="").strip()
    if smtp_url and urlsplit(smtp_url).scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise ValueError(f"SESAME_SMTP_URL: {smtp_url!r} is not smtp://, smtp+starttls:// or smtps://")
    sms_url = config("SESAME_SMS_URL", default="").strip()
    if sms_url and urlsplit(sms_url).scheme not in ("http", "https"):
        raise ValueError(f"SESAME_SMS_URL: {sms_url!r} is not an http(s) URL")
    return {
        "notify_every_seconds": max(0.0, config("SESAME_NOTIFY_EVERY_SECONDS", cast=float, default=5.0)),
        "notify_digest_minutes": max(0.0, config("SESAME_NOTIFY_DIGEST_MINUTES", cast=float, default=10.0)),
        "notify_max_attempts": max(1, config("SESAME_NOTIFY_MAX_ATTEMPTS", cast=int, default=6)),
        "notify_retry_seconds": max(1.0, config("SESAME_NOTIFY_RETRY_SECONDS", cast=float, default=60.0)),
        "notify_lease_seconds": max(1.0, config("SESAME_NOTIFY_LEASE_SECONDS", cast=float, default=120.0)),
        "smtp_url": smtp_url,
        "mail_from": config("SESAME_MAIL_FROM", default="").strip() or f"Sésame <sesame@{rp_id}>",
        "sms_url": sms_url,
        "sms_token": Secret(config("SESAME_SMS_TOKEN", default="")),
        "sms_sender": config("SESAME_SMS_SENDER", default="").strip() or "Sesame",
    }


def _vapid_subject(config: Config, origin: str) -> str:
    """RFC 8292 §2.1: a mailto: or https: URI the push service can reach us by.
    By default the site itself when it is served over https."""
    subject = config("SESAME_VAPID_SUBJECT", default="").strip()
    if not subject:
        return origin if origin.startswith("https://") else "mailto:root@localhost"
    if not (subject.startswith("mailto:") or subject.startswith("https://")):
        raise ValueError(f"SESAME_VAPID_SUBJECT: {subject!r} is neither a mailto: nor an https: URI")
    return subject


def load(environ: Mapping[str, str] | None = None) -> Settings:
    config = Config(environ=dict(os.environ if environ is None else environ))
    data_dir = Path(config("SESAME_DATA", default="./data")).resolve()
    port = config("PORT", cast=int, default=8000)
    origin = config("SESAME_ORIGIN", default=f"http://localhost:{port}").rstrip("/")
    rp_id = config("SESAME_RP_ID", default=urlsplit(origin).hostname or "localhost")
    local = rp_id == "localhost" or rp_id.endswith(".localhost")
    keys_dir = config("SESAME_ATTESTATION_KEYS", default="")
    return Settings(
        data_dir=data_dir,
        port=port,
        host=config("SESAME_HOST", default="127.0.0.1" if local else "0.0.0.0"),
        origin=origin,
        rp_id=rp_id,
        secret_key=_secret_key(config, data_dir),
        replica_url=config("SESAME_REPLICA_URL", default=""),
        replica_endpoint=config("SESAME_REPLICA_ENDPOINT", default=""),
        secure_cookies=config("SESAME_SECURE_COOKIES", cast=bool, default=not local),
        log_level=config("SESAME_LOG_LEVEL", default="info"),
        max_file_bytes=int(config("SESAME_MAX_FILE_MB", cast=float, default=20) * 1024 * 1024),
        trusted_proxies=_networks(config("SESAME_TRUSTED_PROXIES", default=""), "SESAME_TRUSTED_PROXIES"),
        max_account_bytes=int(config("SESAME_MAX_ACCOUNT_MB", cast=float, default=2000) * 1024 * 1024),
        renew_every_minutes=max(0, config("SESAME_RENEW_EVERY_MINUTES", cast=int, default=60)),
        # signed attestations (issue 9)
        attestation_keys=Path(keys_dir).resolve() if keys_dir else None,
        attestation_keys_generate=not keys_dir,
        metrics_token=Secret(config("SESAME_METRICS_TOKEN", default="")),
        metrics_networks=_networks(config("SESAME_METRICS_NETWORKS", default=""), "SESAME_METRICS_NETWORKS"),
        ready_max_lag=config("SESAME_READY_MAX_LAG", cast=float, default=60.0),
        **_notify(config, rp_id),  # type: ignore[arg-type]
        vapid_private_key=Secret(config("SESAME_VAPID_PRIVATE_KEY", default="").strip()),
        vapid_subject=_vapid_subject(config, origin),
        **_blob_store(config),  # type: ignore[arg-type]
    )
