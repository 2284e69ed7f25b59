"""Web Push sending (ADR 0024): encryption, VAPID, what the payload holds, and
what the push service's answers do to a subscription — against the local
receiver (tests/push_receiver.py), no outside service."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server import clock
from server.notify import subscriptions, vapid, webpush
from server.settings import load

from .push_receiver import Browser, Receiver


@pytest.fixture()
def receiver():
    with Receiver() as running:
        yield running


def _keys(tmp_path: Path) -> vapid.Keys:
    return vapid.keys(load({"SESAME_DATA": str(tmp_path)}))


def _subscription(browser: Browser, sid: str = "s1") -> subscriptions.Subscription:
    return subscriptions.Subscription(
        sid,
        "a1",
        browser.endpoint,
        browser.p256dh,
        browser.auth_b64,
        "Chrome · Linux",
        "2026-12-01T00:00:00Z",
        None,
        None,
        None,
        None,
    )


def test_round_trip_decrypts_to_the_neutral_payload(tmp_path: Path, receiver: Receiver) -> None:
    keys = _keys(tmp_path)
    browser = receiver.new_subscription(server_key=keys.public_b64)
    data = webpush.payload(
        title="Sésame",
        body="La préfecture vous a écrit. Ouvrez l’application.",
        path="/dashboard",
        lang="fr",
        discreet=False,
    )
    delivery = webpush.deliver(_subscription(browser), data, keys, http=webpush.session())
    assert delivery.delivered and delivery.status == 201
    [push] = receiver.wait(1)
    assert push.headers["content-encoding"] == "aes128gcm"
    assert push.headers["ttl"] == str(webpush.TTL_SECONDS)
    assert push.headers["urgency"] == "normal" and push.headers["topic"] == "sesame"
    # The bytes on the wire are not the text; only the browser's keys open them.
    assert b"Ouvrez" not in push.body and "préfecture".encode() not in push.body
    assert receiver.decrypt_json(push) == {
        "title": "Sésame",
        "body": "La préfecture vous a écrit. Ouvrez l’application.",
        "path": "/dashboard",
        "lang": "fr",
        "dir": "ltr",
    }
    assert push.claims["aud"] == receiver.origin and push.claims["sub"] == "mailto:root@localhost"


def test_each_push_is_encrypted_afresh(tmp_path: Path, receiver: Receiver) -> None:
    keys = _keys(tmp_path)
    browser = receiver.new_subscription()
    data = webpush.payload(title="Sésame", body="x", path="/", lang="fr", discreet=False)
    http = webpush.session()
    for _ in range(2):
        assert webpush.deliver(_subscription(browser), data, keys, http=http).delivered
    first, second = receiver.wait(2)
    # A new salt and a new sender key each time (RFC 8291 §3.4): equal texts look unrelated.
    assert first.body != second.body and first.body[:16] != second.body[:16]
    assert receiver.decrypt(first) == receiver.decrypt(second) == data


def test_another_browsers_keys_cannot_read_it(tmp_path: Path, receiver: Receiver) -> None:
    keys = _keys(tmp_path)
    mine, other = receiver.new_subscription(), receiver.new_subscription()
    data = webpush.payload(title="Sésame", body="x", path="/", lang="fr", discreet=False)
    webpush.deliver(_subscription(mine), data, keys, http=webpush.session())
    [push] = receiver.wait(1)
    push.token = other.token
    with pytest.raises(Exception):  # noqa: B017 (http_ece raises InvalidTag or ECEException)
        receiver.decrypt(push)


def test_discreet_payload_has_no_words(tmp_path: Path, receiver: Receiver) -> None:
    keys = _keys(tmp_path)
    browser = receiver.new_subscription()
    data = webpush.payload(
        title="Sésame", body="La préfecture vous a écrit.", path="/dashboard", lang="ar", discreet=True
    )
    webpush.deliver(_subscription(browser), data, keys, http=webpush.session())
    [push] = receiver.wait(1)
    assert receiver.decrypt_json(push) == {"path": "/dashboard", "discreet": True}


def test_arabic_payload_says_right_to_left() -> None:
    data = json.loads(
        webpush.payload(title="سيزام", body="كتبت إليكم المحافظة.", path="/", lang="ar", discreet=False)
    )
    assert data["lang"] == "ar" and data["dir"] == "rtl"


def test_gone_and_failing_answers(tmp_path: Path, receiver: Receiver) -> None:
    keys = _keys(tmp_path)
    http = webpush.session()
    expired = receiver.new_subscription()
    receiver.gone.add(expired.token)
    delivery = webpush.deliver(_subscription(expired), b"{}", keys, http=http)
    assert not delivery.delivered and delivery.gone and delivery.status == 410
    receiver.answer_status = 503
    busy = receiver.new_subscription()
    delivery = webpush.deliver(_subscription(busy), b"{}", keys, http=http)
    assert not delivery.delivered and not delivery.gone and delivery.status == 503
    receiver.answer_status = None
    unknown = _subscription(busy)
    unknown = subscriptions.Subscription(**{**unknown.__dict__, "endpoint": receiver.origin + "/push/nobody"})
    delivery = webpush.deliver(unknown, b"{}", keys, http=http)
    assert delivery.gone and delivery.status == 404


def test_unreachable_push_service_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    keys = _keys(tmp_path)
    with Receiver() as gone_away:
        browser = gone_away.new_subscription()
    delivery = webpush.deliver(_subscription(browser), b"{}", keys, http=webpush.session())
    assert not delivery.delivered and delivery.status is None and not delivery.gone


def test_receiver_refuses_a_wrong_vapid_key(tmp_path: Path, receiver: Receiver) -> None:
    keys = _keys(tmp_path)
    other = vapid.Keys(ec.generate_private_key(ec.SECP256R1()), "mailto:root@localhost")
    browser = receiver.new_subscription(server_key=keys.public_b64)
    delivery = webpush.deliver(_subscription(browser), b"{}", other, http=webpush.session())
    assert delivery.status == 403 and not delivery.gone
    assert receiver.refused[-1][0] == 403


def test_vapid_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = load({"SESAME_DATA": str(tmp_path)})
    first = vapid.keys(settings)
    path = settings.vapid_key_path
    assert path.stat().st_mode & 0o777 == 0o600
    vapid._KEYS.clear()
    assert vapid.keys(settings).public_b64 == first.public_b64


def test_vapid_key_from_settings(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    raw = base64.urlsafe_b64encode(private.private_numbers().private_value.to_bytes(32, "big")).rstrip(b"=")
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    for value in (raw.decode(), pem, pem.replace("\n", "\\n")):
        settings = load(
            {
                "SESAME_DATA": str(tmp_path / "d"),
                "SESAME_VAPID_PRIVATE_KEY": value,
                "SESAME_VAPID_SUBJECT": "mailto:ops@example.fr",
            }
        )
        keys = vapid.keys(settings)
        assert keys.public_b64 == vapid.b64url(point)
        assert keys.subject == "mailto:ops@example.fr"
    assert not (tmp_path / "d" / "vapid.pem").exists()
    with pytest.raises(vapid.VapidKeyError):
        vapid.keys(load({"SESAME_DATA": str(tmp_path), "SESAME_VAPID_PRIVATE_KEY": "not-a-key"}))
    with pytest.raises(ValueError):
        load({"SESAME_DATA": str(tmp_path), "SESAME_VAPID_SUBJECT": "ops@example.fr"})


def test_subject_defaults_to_an_https_origin(tmp_path: Path) -> None:
    settings = load({"SESAME_DATA": str(tmp_path), "SESAME_ORIGIN": "https://sesame.example.fr"})
    assert settings.vapid_subject == "https://sesame.example.fr"


def test_one_vapid_signature_serves_many_pushes(tmp_path: Path) -> None:
    keys = _keys(tmp_path)
    now = clock.now().timestamp()
    first = keys.headers("https://push.example/abc", now)
    assert keys.headers("https://push.example/def", now + 60) is first
    assert keys.headers("https://other.example/x", now) is not first
    assert keys.headers("https://push.example/abc", now + vapid.RENEW_AFTER + 1) is not first


@pytest.mark.parametrize(
    ("endpoint", "local", "allowed"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", False, True),
        ("https://updates.push.services.mozilla.com/wpush/v2/x", False, True),
        ("http://fcm.googleapis.com/fcm/send/abc", False, False),
        ("https://127.0.0.1/push", False, False),
        ("https://10.0.0.5/push", False, False),
        ("https://[::1]/push", False, False),
        ("https://localhost/push", False, False),
        ("http://127.0.0.1:9999/push/x", True, True),
        ("http://localhost:9999/push/x", True, True),
        ("http://10.0.0.5/push", True, False),
        ("ftp://push.example/x", True, False),
        ("not a url", True, False),
    ],
)
def test_which_endpoints_the_server_pushes_to(endpoint: str, local: bool, allowed: bool) -> None:
    assert subscriptions.endpoint_allowed(endpoint, local=local) is allowed


def test_a_bad_vapid_key_stops_the_start(tmp_path: Path) -> None:
    from server.app import create_app

    settings = load({"SESAME_DATA": str(tmp_path), "SESAME_VAPID_PRIVATE_KEY": "bm90IGEga2V5"})
    with pytest.raises(vapid.VapidKeyError):
        create_app(settings)


def test_the_worker_shows_pushes_with_the_apps_icon(client) -> None:
    body = client.get("/sw.js").text
    assert "__ICON__" not in body
    icon = re.search(r'ICON: "([^"]+)"', body).group(1)
    assert icon.startswith("/static/icons/icon-192.png?v=") and client.get(icon).status_code == 200
    assert 'addEventListener("push"' in body and 'addEventListener("notificationclick"' in body
