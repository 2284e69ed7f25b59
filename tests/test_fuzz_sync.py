"""Junk at the protocol's edge never reaches a 500 (property-based, Hypothesis).

Push, pull, autosave (`/files/<id>/fields`) and the passkey forms get generated
junk: wrong types, huge or float numbers, dates at year 1 or 9999, JSON nested
far too deep. Every answer is below 500, and a pushed batch gets one result per
command, whatever its neighbours are.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server import commands as registry

from .test_sync_api import command, new_file

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ARG_NAMES = [
    "file_id", "fields", "procedure", "grounds", "title", "body", "message_id", "attachments",
    "piece", "blob", "filename", "attachment_id", "reason", "label", "passkey_id", "session_id",
    "display_name", "phone", "email", "language", "given_names", "city",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00", "2999-01-01T00:00:00+00:00"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(ARG_NAMES) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
junk_commands = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | values,
        "client": st.text(max_size=10) | values,
        "seq": st.integers(min_value=-(2**70), max_value=2**70) | values,
        "op": st.sampled_from(registry.ops()) | values,
        "args": st.dictionaries(st.sampled_from(ARG_NAMES), values, max_size=5) | values,
        "at": st.sampled_from(["", "2026-11-29T21:05:00+00:00", "0001-01-01", "9999-12-31T23:59:59-05:00"]) | values,
    },
)  # fmt: skip
DEEP = "[" * 10_000 + "]" * 10_000
RAW_JUNK = [DEEP, '{"commands": ' + DEEP + "}", "1e999", '{"commands": [{"seq": 1e999}]}', "NaN", "\xff", ""]


@pytest.fixture
def signed_in(make_person):
    applicant = make_person()
    applicant.signup()
    return applicant


@pytest.fixture
def own_file(signed_in) -> str:
    return str(signed_in.start_file("change_of_situation"))


@FUZZ
@given(batch=st.lists(junk_commands, max_size=6))
def test_push_junk_is_refused_alone_never_a_500(signed_in, batch: list[Any]) -> None:
    good = new_file()
    sent = [good, *batch, command("file.update", 2, file_id=good["args"]["file_id"], fields={"city": "Lyon"})]
    response = signed_in.client.post("/sync/push", json={"commands": sent})
    assert response.status_code < 500, response.text
    results = response.json()["results"]
    assert len(results) == len(sent)
    assert results[0]["status"] == "applied" and results[-1]["status"] == "applied", results


@FUZZ
@given(cursor=st.text(max_size=25) | st.integers(min_value=-(2**70), max_value=2**70).map(str))
def test_pull_junk_cursor_is_a_400_never_a_500(signed_in, cursor: str) -> None:
    response = signed_in.client.get("/sync/pull", params={"cursor": cursor})
    assert response.status_code in (200, 400), response.text


@FUZZ
@given(body=values | st.fixed_dictionaries({"fields": values, "at": values, "command_id": values}))
def test_autosave_junk_never_a_500(signed_in, own_file: str, body: Any) -> None:
    file_id = own_file
    response = signed_in.client.post(f"/files/{file_id}/fields", content=json.dumps(body))
    assert response.status_code < 500, response.text


@FUZZ
@given(credential=values.map(json.dumps) | st.sampled_from(RAW_JUNK), flow=st.text(max_size=20))
def test_passkey_forms_junk_never_a_500(client, credential: str, flow: str) -> None:
    for path in ("/signin", "/signup/finish", "/recover/finish", f"/enrol/{uuid.uuid4().hex}/finish"):
        response = client.post(path, data={"flow": flow, "credential": credential, "display_name": "A"})
        assert response.status_code < 500, (path, response.text[:300])


@pytest.mark.parametrize("raw", RAW_JUNK)
def test_raw_junk_bodies(signed_in, own_file: str, raw: str) -> None:
    push = signed_in.client.post("/sync/push", content=raw.encode("utf-8", "surrogateescape"))
    assert push.status_code == 400, push.text
    file_id = own_file
    autosave = signed_in.client.post(
        f"/files/{file_id}/fields", content=raw.encode("utf-8", "surrogateescape")
    )
    assert autosave.status_code == 400, autosave.text
    deep = signed_in.client.post("/signin", data={"flow": "x", "credential": DEEP})
    assert deep.status_code < 500
