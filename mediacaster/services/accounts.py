"""Accounts: users with an Argon2 password hash, a role and the roots they see.

Knows the database session it is given, nothing of HTTP. Names are unique
case-folded ("Anna" and "anna" are one account); passwords are hashed with
argon2-cffi's defaults (Argon2id) and rehashed when those defaults change.
"""

import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from mediacaster.models.accounts import ADMIN, ROLES, ApiToken, User, as_utc

NAME_LENGTH = 64
TOKEN_PREFIX = "mc_"  # tells a mediacaster token apart in a script or a leaked log
TOKEN_NAME_LENGTH = 100
# A token's last use is written at most this often: not a database write per request.
LAST_USED_STEP = timedelta(minutes=5)
PASSWORD_MIN = 8
HASHER = PasswordHasher()


class AccountError(ValueError):
    """An account that cannot be made as asked: the message says why."""


def fold(name):
    return unicodedata.normalize("NFC", name).casefold()


def check_name(name):
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name or len(name) > NAME_LENGTH or not name.isprintable():
        raise AccountError(f"a name has 1 to {NAME_LENGTH} printable characters")
    return name


def check_password(password):
    if len(password or "") < PASSWORD_MIN:
        raise AccountError(f"a password has at least {PASSWORD_MIN} characters")
    return password


def find(session, name):
    return session.scalar(select(User).where(User.folded_name == fold(name)))


def add_user(session, name, password, role="member", roots=None):
    """Make an account; ``roots``: the library roots it sees (None: all)."""
    name = check_name(name)
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}")
    if find(session, name) is not None:
        raise AccountError(f"an account named {name!r} exists")
    user = User(
        name=name,
        folded_name=fold(name),
        role=role,
        roots=None if role == ADMIN or roots is None else sorted(set(roots)),
    )
    set_password(user, password)
    session.add(user)
    session.flush()
    return user


def set_password(user, password):
    """Give ``user`` a new password; sessions logged in with the old one end (see
    :func:`password_mark`)."""
    user.password_hash = HASHER.hash(check_password(password))
    user.password_stamp = secrets.token_hex(16)


def password_mark(user):
    """What browser sessions keep of the password they were logged in with: when it
    changes, sessions made with the old one no longer match."""
    return f"{user.id}:{user.password_stamp}"


def verify(session, name, password):
    """The user whose name and password these are, else None. A wrong name costs the
    same hash as a wrong password, so neither answer tells which was wrong."""
    user = find(session, name) if name else None
    try:
        HASHER.verify(user.password_hash if user else DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    return user


DUMMY_HASH = HASHER.hash("a password no account has")


def token_hash(token):
    """What is stored of a token: its SHA-256 (tokens are long and random: no salt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session, user, name):
    """A new API token of ``user``: ``(ApiToken, the token)``; the token is shown once."""
    name = (name or "").strip()
    if not name or len(name) > TOKEN_NAME_LENGTH:
        raise AccountError(f"a token's name has 1 to {TOKEN_NAME_LENGTH} characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=token_hash(secret))
    session.add(token)
    session.flush()
    return token, secret


def user_of_token(session, secret):
    """The user a token belongs to, noting when it was used; None for an unknown token."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if token is None:
        return None
    now = datetime.now(timezone.utc)
    last = as_utc(token.last_used_at)
    if last is None or now - last > LAST_USED_STEP:
        token.last_used_at = now
    return token.user


def tokens_of(session, user_id):
    return session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)).all()


def revoke_token(session, user_id, token_id):
    """Remove a token of the user: the token removed, None when the user has no such token."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        return None
    session.delete(token)
    return token


# -- administering accounts ---------------------------------------------------------

UNCHANGED = object()  # update_user: a value not given (None is a value: every root)


class AccountConflict(AccountError):
    """A change the rules refuse whatever its values: a name taken, the last administrator,
    an administrator's own account."""


class WrongPassword(AccountError):
    """The current password, asked before one's own is changed, is not the right one."""


def users(session):
    """Every user with how many API tokens they have: ``[(User, count)]``, by name."""
    tokens = select(func.count(ApiToken.id)).where(ApiToken.user_id == User.id).scalar_subquery()
    return session.execute(select(User, tokens).order_by(User.folded_name)).all()


def administrators(session):
    return session.scalar(select(func.count(User.id)).where(User.role == ADMIN))


def check_role(role):
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}")
    return role


def check_roots(roots, known):
    """``roots`` as stored: None (every root) or the sorted names, each one of ``known``."""
    if roots is None:
        return None
    unknown = sorted(set(roots) - set(known))
    if unknown:
        raise AccountError(f"no library root named {', '.join(map(repr, unknown))}")
    if not roots:
        raise AccountError("a member sees at least one root, or every root")
    return sorted(set(roots))


def create_user(session, name, password, role, roots, known_roots):
    """:func:`add_user` for an administrator: the roots must be the library's, and a name
    taken is a conflict rather than a bad value."""
    name = check_name(name)
    if find(session, name) is not None:
        raise AccountConflict(f"an account named {name!r} exists")
    roots = None if check_role(role) == ADMIN else check_roots(roots, known_roots)
    return add_user(session, name, password, role, roots)


def update_user(session, user, known_roots, role=UNCHANGED, roots=UNCHANGED, acting=None):
    """Change ``user``'s role and the roots they see; ``acting``: the id of the
    administrator asking (None with logins off). Everything is checked before anything
    changes: a refusal leaves the account as it was."""
    role = user.role if role is UNCHANGED else check_role(role)
    if role == ADMIN:
        roots = None
    elif roots is UNCHANGED:
        roots = user.roots
    else:
        roots = check_roots(roots, known_roots)
    if role != ADMIN and user.role == ADMIN:
        _keep_administrators(session, user, acting, "make yourself a member")
    user.role, user.roots = role, roots


def reset_password(user, password, revoke_tokens=False):
    """An administrator's reset: the user's sessions end, and their tokens too if asked."""
    set_password(user, password)
    if revoke_tokens:
        user.tokens.clear()  # delete-orphan: the tokens are deleted, not only unlinked


def change_password(user, current, new):
    """One's own change: the current password first, so an open session is not enough."""
    try:
        HASHER.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise WrongPassword("the current password is wrong") from None
    set_password(user, new)


def remove_user(session, user, acting=None):
    """Remove ``user``, their tokens with them; their sessions end with the account."""
    _keep_administrators(session, user, acting, "remove your own account")
    session.delete(user)


def _keep_administrators(session, user, acting, doing):
    """Someone must remain who can manage accounts, and no administrator locks themselves
    out by a slip of the hand."""
    if user.role != ADMIN:
        return
    if administrators(session) <= 1:
        raise AccountConflict(f"{user.name} is the last administrator: make someone else one first")
    if user.id == acting:
        raise AccountConflict(f"you cannot {doing}: you could not undo it; another administrator can")
