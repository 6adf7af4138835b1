"""Accounts: the people who use the app, and the tokens their scripts send."""

from datetime import datetime, timezone

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediacaster.models.meta import Base

ADMIN, MEMBER = "admin", "member"
ROLES = (ADMIN, MEMBER)


def now():
    return datetime.now(timezone.utc)


def as_utc(moment):
    """A stored time with its zone: SQLite gives them back without one (they are UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'member')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # As typed, and case-folded for lookups: "Anna" and "anna" are one account.
    name: Mapped[str] = mapped_column(String(64))
    folded_name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Random, new with each new password: browser sessions keep it (security.PASSWORD_KEY)
    # and end when it changes. A rehash on login (new argon2 parameters) leaves it be.
    # Random rather than a count: a removed user's id may be given to the next account.
    password_stamp: Mapped[str] = mapped_column(String(32), default="", server_default="")
    role: Mapped[str] = mapped_column(String(16), default=MEMBER)
    # The library roots the user sees; None: every root (admins see every root anyway).
    roots: Mapped[list | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the token, hex: the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    user: Mapped[User] = relationship(back_populates="tokens")
