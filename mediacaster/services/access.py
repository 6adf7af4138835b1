"""Who may still fetch a media URL made for them, and the way in before any account exists.

A device fetching a signed URL sends no login: with logins on, the URL names the
user it was made for, and each request checks that this user still exists and
sees the root. Range requests come by the dozen a second, so what a user sees is
kept for a few seconds: a user who loses a root loses its URLs that much later.
"""

import hmac
import logging
import secrets
import threading
import time

from sqlalchemy import exists, select

from mediacaster.models import OUTAGES
from mediacaster.models.accounts import ADMIN, User
from mediacaster.services.accounts import AccountError, add_user

log = logging.getLogger(__name__)
EVERY_ROOT = object()
KEPT_FOR = 5.0  # seconds


class RootAccess:
    def __init__(self, database, kept_for=KEPT_FOR):
        self.database = database
        self.kept_for = kept_for
        self._known = {}  # user id -> (valid until, EVERY_ROOT or a frozenset of roots)

    def sees(self, user_id, root):
        """Whether the user ``user_id`` exists and sees ``root``."""
        now = time.monotonic()
        known = self._known.get(user_id)
        if known is None or known[0] < now:
            try:
                known = self._known[user_id] = (now + self.kept_for, self._read(user_id))
            except OUTAGES:
                # The database is away: what plays goes on playing with what was last known
                # (nobody can change accounts meanwhile), asked again that much later; an
                # unknown user waits for it.
                if known is None:
                    raise
                known = self._known[user_id] = (now + self.kept_for, known[1])
        return known[1] is EVERY_ROOT or root in known[1]

    def _read(self, user_id):
        with self.database.sessions() as session:
            user = session.get(User, user_id)
            if user is None:
                return frozenset()
            return EVERY_ROOT if user.role == ADMIN or user.roots is None else frozenset(user.roots)


class FirstRun:
    """Before any account exists, the first administrator is made on the setup page,
    opened on this machine or anywhere with the token this logs at startup."""

    def __init__(self, database):
        self.database = database
        self.token = secrets.token_urlsafe(18)
        self._lock = threading.Lock()

    def pending(self):
        with self.database.sessions() as session:
            return not session.scalar(select(exists().where(User.id.is_not(None))))

    def announce(self):
        if self.pending():
            log.warning(
                "No account exists yet: make the first administrator at /setup in a browser on "
                "this machine, or from anywhere at /setup?token=%s "
                "(or run: mediacaster-admin -c INI_FILE adduser NAME --admin, with the app's ini file)",
                self.token,
            )

    def token_matches(self, given):
        return bool(given) and hmac.compare_digest(self.token.encode(), given.encode("utf-8", "replace"))

    def make_admin(self, name, password):
        """The first administrator, committed at once: of two forms sent together, one wins."""
        with self._lock, self.database.sessions.begin() as session:
            if not self.pending():
                raise AccountError("an account exists already: log in")
            return add_user(session, name, password, role=ADMIN).id
