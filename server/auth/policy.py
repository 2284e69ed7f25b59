"""Who may do what: the one place where permissions are decided.

Routes name a permission (`routes.py`); commands check theirs in their handler
through `require`. `tests/test_policy_matrix.py` walks every route with every
role and compares with `PERMISSIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, "applicant", "agent", "admin", "worker")
SIGNED_IN = frozenset({"applicant", "agent", "admin", "worker"})

PERMISSIONS: dict[str, frozenset[str]] = {
    # Public pages: landing, sign-in, sign-up, recovery, enrolment, health.
    "public": frozenset(ROLES),
    # Pages only for people who are not signed in (sign-up, sign-in).
    "anonymous": frozenset({ANONYMOUS}),
    # Everyone signed in: their dashboard, their own account and devices.
    "signed_in": SIGNED_IN,
    # Applicants: their files (starting, filling in, pieces, messages, history).
    "applicant": frozenset({"applicant"}),
    # Prefecture administrators: invite agents and administrators.
    "staff.invite": frozenset({"admin"}),
    # The back office: the inbox and a file under review (agents and administrators;
    # each file is then checked against the reader's prefecture, see `may_review`).
    "prefecture.review": frozenset({"agent", "admin"}),
    # The full audit trail of a prefecture, with agents' names: administrators only.
    "prefecture.audit": frozenset({"admin"}),
    # Agents and administrators of a prefecture: ask for complements, decide (on
    # files of their own prefecture only: checked per file, and by each command).
    "prefecture.decide": frozenset({"agent", "admin"}),
    # Administrators of a prefecture: its settings (delay given for complements).
    "prefecture.settings": frozenset({"admin"}),
    # Agents and administrators: mark a granted file's card ready, then handed over
    # (own prefecture's files only, checked per file and by each command).
    "prefecture.cards": frozenset({"agent", "admin"}),
    # Administrators of a prefecture: its counters, hours and slots.
    "prefecture.appointments": frozenset({"admin"}),
    # Administrators of a prefecture: the text of its public information page.
    "prefecture.information": frozenset({"admin"}),
    # Agents and administrators: their prefecture's service figures (exact counts).
    "prefecture.figures": frozenset({"agent", "admin"}),
    # Agents and administrators of a prefecture: record a file handed in on paper
    # for a person with no account, and print its claim code.
    "prefecture.paper": frozenset({"agent", "admin"}),
    # What people said of the service (anonymised): a prefecture's administrators.
    "prefecture.voice": frozenset({"admin"}),
    # Outreach workers of an approved organisation: their dashboard, the people
    # they follow (each person then checked against a mandate,
    # `server/domain/mandates.py`), and the device's shelter mode.
    "worker": frozenset({"worker"}),
    # An organisation's administrator (a worker with the flag): invite and remove
    # workers (checked further by `may_manage_organisation`).
    "organisation.admin": frozenset({"worker"}),
    # Approve or suspend an organisation: a national administrator (any), a
    # prefecture's administrator (own département, `may_approve_organisation`).
    "organisations.approve": frozenset({"admin"}),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: an account (with its role) on a session, or nobody."""

    role: str = ANONYMOUS
    account_id: str | None = None
    prefecture: str | None = None
    session_id: str | None = None
    # An outreach worker: their organisation; and, while acting for a person
    # under a mandate checked by `server/domain/mandates.py`, that person's
    # account and the mandate's id.
    organisation: str | None = None
    acting_for: str | None = None
    mandate_id: str | None = None
    organisation_admin: bool = False

    @property
    def signed_in(self) -> bool:
        return self.account_id is not None

    @property
    def owner(self) -> str | None:
        """The account whose data this actor's commands touch: the person a
        worker acts for, else the actor's own account."""
        return self.acting_for or self.account_id

    @property
    def applicant_side(self) -> bool:
        """Acts as the applicant: the person, or a worker under a mandate."""
        return self.signed_in and (
            self.role == "applicant" or (self.role == "worker" and self.acting_for is not None)
        )

    @property
    def key(self) -> str:
        """How the command log names this actor."""
        return f"{self.role}:{self.account_id}" if self.account_id else ANONYMOUS


NOBODY = Actor()

# The server itself, for what happens on a schedule (attestations issued N days
# after submission, renewed before they end). No one signs in as it and no
# route admits it (it is in no permission): it acts only through the commands
# that accept it (`is_system`), and every one of its commands is audited like
# a staff act (`server/commands.py`).
SYSTEM_ROLE = "system"
SYSTEM = Actor(role=SYSTEM_ROLE, account_id="system:attestations")


def is_system(actor: Actor) -> bool:
    return actor.role == SYSTEM_ROLE and actor.session_id is None


def allowed(actor: Actor, permission: str) -> bool:
    return actor.role in PERMISSIONS[permission]


def may_invite(actor: Actor, prefecture: str | None) -> bool:
    """A national administrator (no prefecture) invites for any prefecture;
    a prefecture's administrator only for their own."""
    if actor.role != "admin":
        return False
    if actor.prefecture is None:
        return True
    return prefecture == actor.prefecture


def may_act_on_account(actor: Actor, account_id: str) -> bool:
    """Own account only: a worker never changes a person's passkeys or
    sessions (assisted recovery is its own logged ceremony)."""
    return actor.signed_in and actor.acting_for is None and actor.account_id == account_id


def may_approve_organisation(actor: Actor, departement: str | None) -> bool:
    """A national administrator approves any organisation; a prefecture's
    administrator those of their own département."""
    return may_invite(actor, departement)


def may_manage_organisation(actor: Actor, organisation_id: str | None) -> bool:
    """An organisation's administrator manages its own workers only."""
    return (
        actor.role == "worker"
        and actor.organisation_admin
        and actor.organisation is not None
        and actor.organisation == organisation_id
    )


# -- files -----------------------------------------------------------------
# Someone else's file is "not found", never "forbidden": ids reveal nothing.


def is_applicant_of(actor: Actor, owner_id: str) -> bool:
    """The person whose file it is, or a worker acting for them (the mandate
    was checked when the actor was made: `server/domain/mandates.py`)."""
    return actor.applicant_side and actor.owner == owner_id


def is_agent_of(actor: Actor, departement: str | None) -> bool:
    """A prefecture agent or administrator of the file's prefecture. A national
    administrator (no prefecture) sees no file: least privilege."""
    return (
        actor.role in ("agent", "admin") and actor.prefecture is not None and actor.prefecture == departement
    )


def may_review(actor: Actor, departement: str | None, submitted_at: str | None) -> bool:
    """Staff open a file in the back office once it was sent to their prefecture:
    never a draft, nor a draft withdrawn before it was ever sent."""
    return submitted_at is not None and is_agent_of(actor, departement)


def may_audit(actor: Actor) -> bool:
    """The audit trail of one prefecture: its administrators. A national
    administrator (no prefecture) reads no prefecture's trail: least privilege."""
    return actor.role == "admin" and actor.prefecture is not None


def may_see_file(actor: Actor, owner_id: str, departement: str | None, status: str) -> bool:
    if is_applicant_of(actor, owner_id):
        return True
    # Agents see a file once it is sent to them, not the person's drafts.
    return status != "draft" and is_agent_of(actor, departement)
