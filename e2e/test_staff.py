"""Staff: the bootstrap link enrols the first administrator, who invites an agent."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import continue_after_codes, enrol, error_title, invite, said


def test_first_administrator_invites_an_agent(server, new_device_factory, new_plain_context):
    assert server.bootstrap_link, f"no enrolment link in the server's output:\n{server.log()}"

    _, admin, _ = new_device_factory()
    enrol(admin, server.bootstrap_link, "Claire Martin")
    expect(admin.locator("h1")).to_have_text("Vos codes de secours")
    continue_after_codes(admin)
    expect(admin.locator("h1")).to_have_text("Bonjour, Claire Martin")
    expect(admin.locator("#files")).to_have_text("Administration nationale")

    link = invite(admin, role="agent", prefecture="75", name="Paul Durand")
    assert re.fullmatch(rf"{re.escape(server.base_url)}/enrol/[A-Za-z0-9_\-]+", link), link
    expect(admin.locator("main .cards")).to_contain_text("Paul Durand")

    # The agent opens the link on a device of their own.
    _, agent, _ = new_device_factory()
    agent.goto(link)
    expect(agent.locator("main p").first).to_contain_text("75")
    expect(agent.locator("#f-display_name")).to_have_value("Paul Durand")
    enrol(agent, link, "Paul Durand")
    continue_after_codes(agent)
    expect(agent.locator("h1")).to_have_text("Bonjour, Paul Durand")
    expect(agent.locator("#files")).to_have_text("Dossiers de la préfecture (75)")

    # An agent does not invite.
    expect(agent.get_by_role("navigation").get_by_role("link", name="Invitations")).to_have_count(0)
    response = agent.goto("/admin/invitations")
    assert response is not None and response.status == 403
    expect(agent.locator("h1")).to_have_text(error_title(403))

    # Both links served once.
    visitor = new_plain_context().new_page()
    for used in (link, server.bootstrap_link):
        response = visitor.goto(used)
        assert response is not None and response.status == 410
        expect(visitor.locator("h1")).to_have_text(error_title(410))
        expect(visitor.locator("main")).to_contain_text(said("message", "invitation_invalid"))

    # Once an administrator exists, a restart prints no new bootstrap link.
    server.restart()
    assert server.enrol_link is None, server.log()
    response = visitor.goto(server.bootstrap_link)
    assert response is not None and response.status == 410
