"""/healthz (alive), /readyz (can serve: database, blob store, replica) and
/metrics (Prometheus text, behind a token or allowed networks)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.settings import load

from .stores import FullDisk, parametrised_settings

settings = parametrised_settings()


def test_ready_when_the_database_and_the_blob_store_answer(client) -> None:
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "blobs": "ok", "replica": "none"}


def test_not_ready_when_the_blob_store_fails(app, client) -> None:
    class Broken(FullDisk):
        def check(self) -> None:
            raise OSError("bucket unreachable")

    app.state.blobs = Broken(app.state.blobs)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["blobs"] == "failed"
    assert "unreachable" not in ready.text  # the reason goes to the log, not to the world
    assert client.get("/healthz").status_code == 200  # still alive: not to be restarted


def test_not_ready_when_the_replica_lags(app, client) -> None:
    from sync.durability import Durability

    # Three pushes committed; a replica that never catches up.
    app.state.db.write_sync(lambda c: c.execute("UPDATE sync_epoch SET commits = 3"))
    app.state.durability = Durability(lambda: 3, lambda: False, pause=0, retry=0.05)
    assert client.get("/readyz").json()["checks"]["replica"] == "ok"  # within the default 60 s
    object.__setattr__(app.state.settings, "ready_max_lag", 0.0)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["replica"] == "lagging"
    assert ready.json()["checks"]["replication_lag_s"] >= 0


def test_metrics_are_closed_without_a_token_or_network(client) -> None:
    assert client.get("/metrics").status_code == 404


def test_metrics_with_the_token(tmp_path) -> None:
    configured = load({"SESAME_DATA": str(tmp_path / "m"), "SESAME_METRICS_TOKEN": "s3cret-token"})
    application = create_app(configured)
    with TestClient(application, base_url=configured.origin) as c:
        c.get("/healthz")
        assert c.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 404
        page = c.get("/metrics", headers={"authorization": "Bearer s3cret-token"})
    application.state.db.close()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    text = page.text
    assert 'sesame_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "sesame_http_request_duration_seconds_bucket" in text
    assert "sesame_replication_lag_seconds -1.0" in text  # no replica in this process
    assert "sesame_upload_received_bytes_total" in text


def _value(text: str, line_start: str) -> float:
    found = [line for line in text.splitlines() if line.startswith(line_start)]
    return float(found[0].rsplit(" ", 1)[1]) if found else 0.0


def test_metrics_from_an_allowed_network_count_commands_and_upload_bytes(tmp_path) -> None:
    from . import samples
    from .people import Applicant
    from .test_tus import create, patch

    with pytest.raises(ValueError, match="SESAME_METRICS_NETWORKS"):
        load({"SESAME_DATA": str(tmp_path / "x"), "SESAME_METRICS_NETWORKS": "everyone"})
    configured = load({"SESAME_DATA": str(tmp_path / "n"), "SESAME_METRICS_NETWORKS": "10.0.0.0/8"})
    application = create_app(configured)

    def scrape(address: str) -> tuple[int, str]:
        with TestClient(application, base_url=configured.origin, client=(address, 50000)) as c:
            page = c.get("/metrics")
        return page.status_code, page.text

    assert scrape("192.168.1.5")[0] == 404
    status, before = scrape("10.1.2.3")
    assert status == 200
    with Applicant.new(application, configured) as person:
        person.signup()
        person.start_file("change_of_situation")
        data = samples.pdf(40_000)
        url = create(person.client, data).headers["location"]
        assert patch(person.client, url, 0, data).status_code == 204
    _, after = scrape("10.1.2.3")
    application.state.db.close()
    created = 'sesame_commands_total{op="file.create",status="applied"}'
    assert _value(after, created) >= _value(before, created) + 1
    received = "sesame_upload_received_bytes_total"
    assert _value(after, received) >= _value(before, received) + len(data)
