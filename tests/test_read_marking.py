"""The prefecture's messages are marked read only when the person opens the
thread from Sésame itself (or says so with the button), never by a link on
another site, a prefetch, or the service worker refreshing its copy."""

from __future__ import annotations

import uuid

import pytest

from .test_files_http import agent_command, complete

ORIGIN = "http://localhost:8000"
NAVIGATION = {"sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}


@pytest.fixture
def thread(app, make_person):
    p = make_person()
    p.signup("A", "fr")
    file_id = p.start_file("change_of_situation")
    complete(p, file_id, "change_of_situation", [])
    p.client.post(f"/files/{file_id}/submit", data={"declaration": "yes"})
    reply = agent_command(
        app, "message.send", {"file_id": file_id, "message_id": str(uuid.uuid4()), "body": "Merci."}
    )
    assert reply.applied, reply
    return p, f"/files/{file_id}/messages"


def unread(app) -> int:
    return app.state.db.read_sync(
        lambda c: c.execute(
            "SELECT count(*) FROM messages WHERE author_role = 'agent' AND read_at IS NULL"
        ).fetchone()[0]
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no word on where it comes from
        {**NAVIGATION, "sec-fetch-site": "cross-site"},  # a link on another site
        {**NAVIGATION, "sec-fetch-site": "same-site"},  # a sibling subdomain
        {**NAVIGATION, "sec-fetch-site": "none"},  # typed, or opened from another app
        {**NAVIGATION, "sec-purpose": "prefetch"},  # the browser guessing ahead
        {**NAVIGATION, "purpose": "prefetch"},
        {"sec-fetch-site": "same-origin", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty"},  # the worker
        {"referer": "https://evil.example/page"},
        # A cross-site navigation re-sent by our service worker stays cross-site.
        {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "empty"},
    ],
)
def test_these_visits_show_the_messages_without_marking_them_read(app, thread, headers) -> None:
    p, path = thread
    page = p.client.get(path, headers=headers)
    assert page.status_code == 200 and "Merci." in page.text
    assert unread(app) == 1
    # The page offers to mark them read (works with JavaScript off).
    assert f'action="{path}/read"' in page.text


@pytest.mark.parametrize(
    "headers",
    [
        NAVIGATION,
        {**NAVIGATION, "sec-fetch-dest": "empty"},  # the navigation, re-sent by our service worker
        {"referer": ORIGIN + "/dashboard"},  # a browser without fetch metadata
    ],
)
def test_opening_the_thread_from_our_pages_marks_them_read(app, thread, headers) -> None:
    p, path = thread
    page = p.client.get(path, headers=headers)
    assert unread(app) == 0
    assert f'action="{path}/read"' not in page.text


def test_the_button_marks_them_read_and_only_from_our_pages(app, thread) -> None:
    p, path = thread
    cross_site = p.client.post(path + "/read", headers={"origin": "https://evil.example"})
    assert cross_site.status_code == 403 and unread(app) == 1
    done = p.client.post(path + "/read", data={"command_id": str(uuid.uuid4())}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == path
    assert unread(app) == 0
    assert "message non lu" not in p.client.get("/dashboard").text
