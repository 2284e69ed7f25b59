"""A person for tests: an HTTP client (their browser) and a soft authenticator (their phone)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient

from server.settings import Settings

from .softauthn import SoftAuthenticator

OPTIONS = re.compile(r'<script type="application/json" id="webauthn-options">(.*?)</script>', re.S)
CODES = re.compile(r"<code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5})</code>")


def ceremony(html: str) -> dict[str, Any]:
    match = OPTIONS.search(html)
    assert match, "no passkey options in the page"
    return json.loads(match.group(1))


def codes_in(html: str) -> list[str]:
    return CODES.findall(html)


@dataclass
class Person:
    client: TestClient
    phone: SoftAuthenticator
    name: str = ""
    codes: list[str] | None = None

    @classmethod
    def new(cls, app: Starlette, settings: Settings, synced: bool = False) -> Person:
        client = TestClient(
            app,
            base_url=settings.origin,
            headers={"origin": settings.origin, "user-agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0"},
        )
        return cls(client=client, phone=SoftAuthenticator(origin=settings.origin, synced=synced))

    def __enter__(self) -> Person:
        self.client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(*exc)

    # -- ceremonies -------------------------------------------------------
    def signup(self, name: str = "Amina", language: str = "fr") -> list[str]:
        page = self.client.post("/signup", data={"display_name": name, "language": language})
        assert page.status_code == 200, page.text
        step = ceremony(page.text)
        answer = self.phone.create(step["publicKey"])
        done = self.client.post(
            "/signup/finish",
            data={
                "flow": step["flow"],
                "credential": json.dumps(answer),
                "display_name": name,
                "language": language,
            },
        )
        assert done.status_code == 200, done.text
        self.name, self.codes = name, codes_in(done.text)
        assert len(self.codes) == 8
        return self.codes

    def signin_response(self, **forge: Any) -> Any:
        page = self.client.get("/signin")
        step = ceremony(page.text)
        answer = self.phone.get(step["publicKey"], **forge)
        return self.client.post(
            "/signin",
            data={"flow": step["flow"], "credential": json.dumps(answer), "next": "/dashboard"},
            follow_redirects=False,
        )

    def signin(self, **forge: Any) -> None:
        response = self.signin_response(**forge)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/dashboard"

    def signout(self) -> None:
        self.client.post("/signout")

    def add_passkey(self, phone: SoftAuthenticator, label: str = "Second phone") -> Any:
        page = self.client.get("/account/passkeys/new")
        step = ceremony(page.text)
        answer = phone.create(step["publicKey"])
        return self.client.post(
            "/account/passkeys/new",
            data={"flow": step["flow"], "credential": json.dumps(answer), "label": label},
            follow_redirects=False,
        )

    def recover(self, code: str) -> Any:
        """Use a recovery code on this person's (new) phone."""
        page = self.client.post("/recover", data={"code": code})
        if page.status_code != 200:
            return page
        step = ceremony(page.text)
        answer = self.phone.create(step["publicKey"])
        return self.client.post(
            "/recover/finish",
            data={"flow": step["flow"], "credential": json.dumps(answer), "code": code},
            follow_redirects=False,
        )


class Applicant(Person):
    """A person who also works on files."""

    def start_file(self, procedure: str, grounds: list[str] = (), title: str = "") -> str:  # type: ignore[assignment]
        # The page the questions end on (its form carries the new file's id); a file
        # with several grounds starts from its first one.
        outcome = f"{procedure}.{grounds[0]}" if grounds else procedure
        page = self.client.get(f"/files/new/for/{outcome}")
        assert page.status_code == 200, page.text
        file_id = re.search(r'name="file_id" value="([^"]+)"', page.text).group(1)
        response = self.client.post(
            "/files",
            data={"procedure": procedure, "grounds": list(grounds), "title": title, "file_id": file_id},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/files/{file_id}"
        return file_id

    def fill(self, file_id: str, step: str, **fields: str) -> Any:
        return self.client.post(f"/files/{file_id}/{step}", data=fields, follow_redirects=False)

    def upload(self, file_id: str, piece: str, *files: tuple[str, bytes, str]) -> Any:
        return self.client.post(
            f"/files/{file_id}/pieces/{piece}",
            files=[("files", f) for f in files],
            follow_redirects=False,
        )
