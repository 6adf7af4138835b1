"""The rules administrators' changes keep, on a real SQLite file: roots of the library,
names unique case-folded, someone always left to administer, tokens gone with their user."""

import pytest
from argon2 import PasswordHasher

from mediacaster.models import Database
from mediacaster.models.accounts import ApiToken, User
from mediacaster.services import accounts
from mediacaster.services.accounts import AccountConflict, AccountError

ROOTS = ["video", "audio", "images"]
PASSWORD = "correct horse"


@pytest.fixture
def session(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'db'}")
    database.prepare()
    with database.sessions.begin() as session:
        yield session
    database.close()


@pytest.fixture
def boss(session):
    return accounts.create_user(session, "boss", PASSWORD, "admin", ["audio"], ROOTS)


def member(session, name="anna", roots=None):
    return accounts.create_user(session, name, PASSWORD, "member", roots, ROOTS)


def test_a_member_sees_library_roots_only_and_at_least_one(session):
    assert member(session, roots=["video", "audio", "video"]).roots == ["audio", "video"]
    assert member(session, "ben").roots is None  # every root
    with pytest.raises(AccountError, match="no library root named 'music', 'x'"):
        member(session, "carl", ["video", "x", "music"])
    with pytest.raises(AccountError, match="at least one root"):
        member(session, "carl", [])
    assert accounts.find(session, "carl") is None


def test_an_administrators_roots_are_every_root(session, boss):
    assert boss.roots is None
    anna = member(session, roots=["video"])
    accounts.update_user(session, anna, ROOTS, role="admin", roots=["nowhere"])  # unread for an admin
    assert (anna.role, anna.roots) == ("admin", None)


def test_a_taken_name_is_a_conflict_whatever_its_case(session):
    member(session, "Anna")
    with pytest.raises(AccountConflict, match="an account named 'ANNA' exists"):
        member(session, " ANNA ")
    with pytest.raises(AccountError, match="a role is one of"):
        accounts.create_user(session, "ben", PASSWORD, "owner", None, ROOTS)


def test_an_update_changes_only_what_is_given_and_nothing_when_refused(session, boss):
    anna = member(session, roots=["video"])
    accounts.update_user(session, anna, ROOTS, roots=["images"])
    assert (anna.role, anna.roots) == ("member", ["images"])
    accounts.update_user(session, anna, ROOTS, roots=None)
    assert anna.roots is None
    with pytest.raises(AccountError, match="no library root"):
        accounts.update_user(session, anna, ROOTS, roots=["x"])
    with pytest.raises(AccountError, match="a role is one of"):
        accounts.update_user(session, anna, ROOTS, role="owner", roots=["video"])
    assert (anna.role, anna.roots) == ("member", None)


def test_someone_is_always_left_to_administer(session, boss):
    with pytest.raises(AccountConflict, match="boss is the last administrator"):
        accounts.update_user(session, boss, ROOTS, role="member")
    with pytest.raises(AccountConflict, match="boss is the last administrator"):
        accounts.remove_user(session, boss)
    chief = accounts.create_user(session, "chief", PASSWORD, "admin", None, ROOTS)
    # Not oneself, by a slip of the hand: another administrator can.
    with pytest.raises(AccountConflict, match="you cannot make yourself a member"):
        accounts.update_user(session, boss, ROOTS, role="member", acting=boss.id)
    with pytest.raises(AccountConflict, match="you cannot remove your own account"):
        accounts.remove_user(session, boss, acting=boss.id)
    assert boss.role == "admin"
    accounts.update_user(session, boss, ROOTS, role="member", roots=["audio"], acting=chief.id)
    assert (boss.role, boss.roots) == ("member", ["audio"])
    accounts.remove_user(session, boss, acting=chief.id)  # a member: no rule to keep
    session.flush()
    assert [user.name for user, _ in accounts.users(session)] == ["chief"]


def test_the_listing_counts_tokens_and_removing_a_user_removes_them(session, boss):
    anna = member(session, "Anna")
    for name in ("laptop", "tablet"):
        accounts.create_token(session, anna, name)
    assert [(user.name, tokens) for user, tokens in accounts.users(session)] == [("Anna", 2), ("boss", 0)]
    accounts.remove_user(session, anna, acting=boss.id)
    session.flush()
    assert session.query(ApiToken).count() == 0 and session.query(User).count() == 1


def test_a_reset_revokes_tokens_only_when_asked(session):
    anna = member(session)
    accounts.create_token(session, anna, "laptop")
    mark = accounts.password_mark(anna)
    accounts.reset_password(anna, "battery staple")
    assert accounts.password_mark(anna) != mark and len(anna.tokens) == 1
    with pytest.raises(AccountError, match="at least 8"):
        accounts.reset_password(anna, "short", revoke_tokens=True)
    assert len(anna.tokens) == 1
    accounts.reset_password(anna, PASSWORD, revoke_tokens=True)
    session.flush()
    assert session.query(ApiToken).count() == 0
    assert accounts.verify(session, "anna", PASSWORD) is anna


def test_ones_own_change_needs_the_current_password(session):
    anna = member(session)
    before = anna.password_hash
    with pytest.raises(accounts.WrongPassword, match="the current password is wrong"):
        accounts.change_password(anna, "wrong horse", "battery staple")
    with pytest.raises(AccountError, match="at least 8"):
        accounts.change_password(anna, PASSWORD, "short")
    assert anna.password_hash == before
    accounts.change_password(anna, PASSWORD, "battery staple")
    assert accounts.verify(session, "anna", "battery staple") is anna


def test_a_rehash_on_login_keeps_the_sessions_a_new_password_ends(session):
    anna = member(session)
    mark = accounts.password_mark(anna)
    # Made with weaker parameters than today's: the next login hashes it again.
    anna.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    assert accounts.verify(session, "anna", PASSWORD) is anna
    assert not accounts.HASHER.check_needs_rehash(anna.password_hash)
    assert accounts.password_mark(anna) == mark  # the same password: its sessions go on
    accounts.reset_password(anna, "battery staple")
    assert accounts.password_mark(anna) != mark


def test_a_session_of_a_removed_user_never_fits_the_next_account_given_its_id(session, boss):
    bob = member(session, "bob")
    bobs_id, bobs_mark = bob.id, accounts.password_mark(bob)
    accounts.remove_user(session, bob, acting=boss.id)
    session.flush()
    carol = member(session, "carol")
    session.flush()
    assert carol.id == bobs_id  # SQLite gives the id again
    assert accounts.password_mark(carol) != bobs_mark
