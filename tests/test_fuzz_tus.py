"""Property test: whatever tus headers and bodies a client sends, the server
answers with a 4xx or a success — never a server error — and every answer says
`Tus-Resumable`."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.app import create_app
from server.settings import load

from . import samples
from .people import Applicant

ASCII = st.characters(min_codepoint=32, max_codepoint=126)
TUS = {"tus-resumable": "1.0.0"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


sizes = st.one_of(  # Upload-Length, Upload-Offset, Content-Length
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["-1", "", " ", "1e999", "0x10", "+5", "٣", "9223372036854775808", "00012"]),
    st.text(ASCII, max_size=25),
)
metadata_pairs = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(["filename", "sha256", "filetype", ""]), st.text(ASCII, max_size=12)),
        st.one_of(
            st.binary(max_size=80).map(b64),
            st.text(ASCII, max_size=40),
            st.just(b64(hashlib.sha256(b"x").hexdigest().encode())),
            st.just(b64(b"\xff\xfe")),
        ),
    ),
    max_size=4,
).map(lambda pairs: ",".join(f"{k} {v}" for k, v in pairs))
metadata = st.one_of(st.none(), metadata_pairs, st.text(ASCII, max_size=120))
checksums = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from(["sha1", "sha256", "SHA256", "md5", "crc32", ""]),
        st.one_of(st.binary(max_size=40).map(b64), st.text(ASCII, max_size=50)),
    ).map(" ".join),
    st.text(ASCII, max_size=60),
)
content_types = st.sampled_from(
    ["application/offset+octet-stream", "application/octet-stream", "", "text/plain"]
)
bodies = st.one_of(st.binary(max_size=3000), st.just(samples.pdf(1500)), st.just(samples.exe()))
upload_ids = st.one_of(
    st.uuids().map(str), st.text(st.characters(min_codepoint=48, max_codepoint=122), max_size=40)
)


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applicant]:
    data = Path(tmp_path_factory.mktemp("fuzz")) / "data"
    config = load({"SESAME_DATA": str(data), "SESAME_MAX_FILE_MB": "1"})
    app = create_app(config)
    with Applicant.new(app, config) as person:
        person.signup()
        yield person
    app.state.db.close()


def headers(**values: str | None) -> dict[str, bytes]:
    # As bytes: a phone may send any UTF-8 in a header, which httpx would not encode from str.
    return {k.replace("_", "-"): v.encode() for k, v in values.items() if v is not None}


def check(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, (response.status_code, response.text)
    assert response.headers.get("tus-resumable") == "1.0.0"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    length=sizes,
    meta=metadata,
    offset=sizes,
    checksum=checksums,
    content_type=content_types,
    body=bodies,
    declared=st.one_of(st.none(), sizes),
)
def test_no_tus_request_gives_a_server_error(
    signed_in: Applicant,
    length: str,
    meta: str | None,
    offset: str,
    checksum: str | None,
    content_type: str,
    body: bytes,
    declared: str | None,
) -> None:
    client = signed_in.client
    created = client.post("/uploads", headers={**TUS, **headers(upload_length=length, upload_metadata=meta)})
    check(created)
    url = created.headers.get("location") or "/uploads/00000000-0000-4000-8000-000000000000"
    sent = headers(
        content_type=content_type, upload_offset=offset, upload_checksum=checksum, content_length=declared
    )
    check(client.patch(url, content=body, headers={**TUS, **sent}))
    check(client.head(url, headers=TUS))
    # And what a real client would send next, from where the server says it is.
    if created.status_code == 201:
        at = client.head(url, headers=TUS).headers.get("upload-offset")
        if at is not None:
            follow = client.patch(
                url,
                content=body,
                headers={**TUS, "content-type": "application/offset+octet-stream", "upload-offset": at},
            )
            check(follow)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(upload_id=upload_ids, method=st.sampled_from(["HEAD", "PATCH", "GET", "DELETE", "POST"]))
def test_any_upload_address_answers_cleanly(signed_in: Applicant, upload_id: str, method: str) -> None:
    response = signed_in.client.request(
        method,
        f"/uploads/{upload_id}",
        headers={**TUS, "content-type": "application/offset+octet-stream", "upload-offset": "0"},
        content=b"%PDF-" if method == "PATCH" else None,
    )
    check(response)
