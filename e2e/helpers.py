"""Helpers shared by the browser tests: the Sésame server in a subprocess, virtual
authenticators, and the few journeys most tests start with (sign up, sign in, sign out).

Plain functions and classes; `conftest.py` turns them into fixtures.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

import i18n
from i18n import typography

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VENV_BIN = ROOT / ".venv" / "bin"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Tests wait for conditions, never for a fixed time: a busy machine (other work on
# both cores) is slow, not wrong. This bound only ends a test that would otherwise
# hang forever; it is never what makes a test pass.
SAFETY_NET = 300.0  # seconds

CODE_PATTERN = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}$")


def tr(lang: str, msgid: str, domain: str = "messages", **values: str) -> str:
    """The catalogue's translation of a French msgid (checked to be translated).
    Tests may write the French with plain spaces: the catalogue's ids carry French
    typography's non-breaking ones (i18n/typography.py)."""
    msgid = typography.fix(msgid)
    text = i18n.translations(lang, domain).gettext(msgid)
    if lang != i18n.DEFAULT:
        assert text != msgid, f"{msgid!r} is not translated into {lang!r}"
    return text % values if values else text


def said(kind: str, code: str, lang: str = "fr") -> str:
    """A sentence the server says for a code (server/web/messages.py), in `lang`.

    Tests take the wording from the app itself, so rewording a sentence breaks no test.
    """
    from server.web import messages

    source = {"message": messages.MESSAGES, "done": messages.DONE}[kind][code]
    return tr(lang, source) if lang != i18n.DEFAULT else source


def error_title(status: int, lang: str = "fr") -> str:
    from server.web import errors

    source = errors.TITLES[status]
    return tr(lang, source) if lang != i18n.DEFAULT else source


def js_explanation(error_name: str, lang: str = "fr", mode: str = "get") -> str:
    """What pwa/passkeys.js tells the person when the browser raises `error_name`
    (in a "create" or "get" ceremony, when it says something different for each)."""
    script = (ROOT / "pwa" / "passkeys.js").read_text()
    found = re.search(
        rf'name === "{error_name}" && ceremony\.mode === "{mode}"\)\s*\{{\s*return gettext\("([^"]+)"\)',
        script,
    ) or re.search(rf'name === "{error_name}"\)\s*\{{\s*return gettext\("([^"]+)"\)', script)
    assert found, f"passkeys.js has no message for {error_name}"
    return tr(lang, found.group(1), domain="js") if lang != i18n.DEFAULT else found.group(1)


# -- the server ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SesameServer:
    """`sesame serve` (Litestream wrapping uvicorn) in a subprocess.

    Its output goes to `<data_dir>/../server.log`; `enrol_link` is the bootstrap link
    for the first administrator printed by the last start (None once one exists).
    """

    def __init__(self, name: str = "sesame") -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"e2e-{name}-"))
        self.data_dir = self.root / "data"
        self.log_path = self.root / "server.log"
        self.port = free_port()
        self.base_url = f"http://localhost:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.enrol_link: str | None = None
        self.bootstrap_link: str | None = None  # the first one ever printed
        self.extra_env: dict[str, str] = {}  # settings for the next start (an SMS provider…)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "sesame.db"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            SESAME_DATA=str(self.data_dir),
            PORT=str(self.port),
            SESAME_ORIGIN=self.base_url,
            PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
        )
        env.pop("SESAME_HOST", None)
        env.pop("SESAME_RP_ID", None)
        env.pop("SESAME_REPLICA_URL", None)
        env.update(self.extra_env)
        return env

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, timeout: float = SAFETY_NET) -> None:
        assert self.process is None, "already running"
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        sesame = shutil.which("sesame", path=str(VENV_BIN)) or str(VENV_BIN / "sesame")
        with self.log_path.open("ab") as log:
            log.write(f"\n===== sesame serve ({time.strftime('%H:%M:%S')}) =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sesame, "serve"],
                cwd=ROOT,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal is for pytest, not for it
            )
        self._wait_ready(timeout)
        output = self.log()[offset:]
        found = re.search(rf"{re.escape(self.base_url)}/enrol/[A-Za-z0-9_\-]+", output)
        self.enrol_link = found.group(0) if found else None
        if self.bootstrap_link is None:
            self.bootstrap_link = self.enrol_link

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"sesame serve exited early; its log:\n{self.log()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"sesame serve not ready after {timeout} s; its log:\n{self.log()}")

    def stop(self, timeout: float = SAFETY_NET) -> int | None:
        """SIGTERM (Litestream forwards it to uvicorn and syncs a last time), then wait."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                # Only the group we started (start_new_session): litestream and its uvicorn.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        return process.returncode

    def kill(self) -> None:
        """SIGKILL, as a power cut: Litestream and uvicorn (the group we started) die at once,
        with no chance to finish a request or sync."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


# -- virtual authenticators ------------------------------------------------------


@dataclass
class Authenticator:
    """A CTAP2 platform authenticator with user verification, attached to one page."""

    cdp: Any
    id: str

    def credentials(self) -> list[dict[str, Any]]:
        return list(self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"])

    def set_user_verified(self, verified: bool) -> None:
        self.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified})

    def remove(self) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})


def add_authenticator(page: Page, cdp: Any = None, prf: bool = False) -> Authenticator:
    """A new, empty virtual authenticator for `page` ("this phone"); with `prf`, one
    that has the WebAuthn PRF extension (hmac-secret), as shelter mode uses."""
    if cdp is None:
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable", {"enableUI": False})
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
                **({"hasPrf": True} if prf else {}),
            }
        },
    )
    return Authenticator(cdp=cdp, id=result["authenticatorId"])


# Chromium's virtual authenticator answers a conditional (autofill) request at once, as
# if the person had picked the passkey: /signin would sign in by itself on load. Unless a
# test asks for autofill (localStorage "e2e-autofill" = "on"), pages see a browser without
# autofill, so sign-in goes through the button; `sign_in_with_autofill` turns it on.
NO_AUTOFILL = """
(() => {
  try { if (window.localStorage.getItem("e2e-autofill") === "on") return; } catch (e) {}
  if (window.PublicKeyCredential) {
    PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
  }
})();
"""


def new_context(browser: Any, base_url: str, **options: Any) -> BrowserContext:
    """A fresh browser profile (a phone of its own), in French unless told otherwise."""
    options.setdefault("locale", "fr-FR")
    context = browser.new_context(base_url=base_url, **options)
    # Every wait is for a condition; the bound is only a safety net (SAFETY_NET).
    context.set_default_timeout(SAFETY_NET * 1000)
    context.add_init_script(NO_AUTOFILL)
    return context


def new_device(browser: Any, base_url: str, **options: Any) -> tuple[BrowserContext, Page, Authenticator]:
    """A fresh context with one page and an empty authenticator."""
    context = new_context(browser, base_url, **options)
    page = context.new_page()
    return context, page, add_authenticator(page)


# -- journeys -------------------------------------------------------------------


def signup(page: Page, name: str, language: str = "fr") -> list[str]:
    """Create an account with the page's authenticator; return its 10 recovery codes.

    Ends on the recovery-codes page, signed in.
    """
    page.goto("/signup")
    page.locator("#f-display_name").fill(name)
    page.locator("#f-language").select_option(language)
    page.locator("form[action='/signup'] button[type=submit]").click()
    start = page.locator("[data-passkey-start]")
    expect(start).to_be_visible()
    start.click()
    codes = page.locator("ol.codes code")
    expect(codes).to_have_count(8)
    values = [c.strip() for c in codes.all_inner_texts()]
    assert all(CODE_PATTERN.match(c) for c in values), values
    return values


def enrol(page: Page, link: str, name: str, language: str = "fr") -> list[str]:
    """Staff enrolment from a one-time link; ends on the recovery-codes page, signed in."""
    page.goto(link)
    page.locator("#f-display_name").fill(name)
    page.locator("#f-language").select_option(language)
    page.locator("main form button[type=submit]").click()
    start = page.locator("[data-passkey-start]")
    expect(start).to_be_visible()
    start.click()
    codes = page.locator("ol.codes code")
    expect(codes).to_have_count(8)
    return [c.strip() for c in codes.all_inner_texts()]


def invite(admin: Page, *, role: str = "agent", prefecture: str | None = "75", name: str = "") -> str:
    """As an administrator, make a one-time enrolment link; return it."""
    admin.goto("/admin/invitations")
    admin.locator(f"input[name=role][value={role}]").check()
    if prefecture is not None:
        admin.locator("#f-prefecture").select_option(prefecture)
    admin.locator("#f-name").fill(name)
    admin.locator("form[action='/admin/invitations'] button[type=submit]").click()
    link = admin.locator("input#invite-link")
    expect(link).to_be_visible()
    return link.input_value()


def continue_after_codes(page: Page) -> None:
    """From the recovery-codes page (first time): "I wrote them down, continue"."""
    page.locator("main .actions a[href='/dashboard']").click()
    page.wait_for_url("**/dashboard")


def sign_out(page: Page) -> None:
    page.locator("form[action='/signout'] button").click()
    page.wait_for_url("**/signin?done=signed_out")


def sign_in(page: Page) -> None:
    """Sign in with the page's authenticator (the modal prompt); ends on the dashboard."""
    if "/signin" not in page.url:
        page.goto("/signin")
    start = page.locator("[data-passkey-start]")
    expect(start).to_be_visible()
    start.click()
    page.wait_for_url("**/dashboard")


def sign_in_with_autofill(page: Page) -> None:
    """Open /signin with passkey autofill (conditional mediation) on: it signs in by itself."""
    page.evaluate("window.localStorage.setItem('e2e-autofill', 'on')")
    try:
        page.goto("/signin")
        page.wait_for_url("**/dashboard")
    finally:
        page.evaluate("window.localStorage.removeItem('e2e-autofill')")


def assert_no_horizontal_scroll(page: Page, width: int = 320) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url}: horizontal scroll at {width} px (scrollWidth {scroll})"


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def fill_field(page: Page, name: str, value: str) -> None:
    """Type a file's field as a person would: a date in its three boxes (day,
    month, year: ADR 0025), anything else in its one box."""
    from server.domain import files, partial_dates

    field = files.FIELDS.get(name)
    if field is None or field.kind != "date":
        page.locator(f"#f-{name}").fill(value)
        return
    day, month, year, approximate = partial_dates.split(value)
    page.locator(f"#f-{name}").fill(day)
    page.locator(f"#f-{name}-month").fill(month)
    page.locator(f"#f-{name}-year").fill(year)
    if field.approximate:
        page.locator(f"#f-{name}-approx").set_checked(approximate)


def expect_field(page: Page, name: str, value: str) -> None:
    """A file's field shows `value` (a date in its three boxes)."""
    from server.domain import files, partial_dates

    field = files.FIELDS.get(name)
    if field is None or field.kind != "date":
        expect(page.locator(f"#f-{name}")).to_have_value(value)
        return
    day, month, year, _ = partial_dates.split(value)
    expect(page.locator(f"#f-{name}")).to_have_value(day)
    expect(page.locator(f"#f-{name}-month")).to_have_value(month)
    expect(page.locator(f"#f-{name}-year")).to_have_value(year)


def answer_questions(page: Page, procedure: str, ground: str | None = None) -> None:
    """From the start page of the way in, answer the questions that lead to a
    procedure (and ground), with a click on each page; ends on "Voici ce qu'il
    vous faudra" (server/domain/questions.py tells which answer leads where)."""
    from server.domain import catalogue, questions

    flow = questions.flow_for(catalogue.load())
    target = questions.outcome_id(procedure, ground)
    # The answers, walked back from the outcome to the first question.
    answers: list[tuple[str, str]] = []
    at = target
    while at != questions.START:
        before = flow.before(at)
        assert before is not None, at
        option = next(o for o in flow.questions[before].options if o.leads_to == at)
        answers.insert(0, (before, option.value))
        at = before
    page.get_by_role("link", name=tr(page_lang(page), "Commencer"), exact=True).click()
    for question, value in answers:
        page.wait_for_url(f"**/files/new/q/{question}")
        page.locator(f"input[name=answer][value='{value}']").check()
        page.locator("form[data-question] button[type=submit]").click()
    page.wait_for_url(f"**/files/new/for/{target}")


def page_lang(page: Page) -> str:
    return page.locator("html").get_attribute("lang") or "fr"
