"""Queues: what a user cast to a device to play one after the other, in what order, and
where it is; kept so that an app restart, or another browser, finds it."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mediacaster.models.accounts import now
from mediacaster.models.meta import Base

REPEAT_MODES = ("off", "all", "one")
# playing: this app follows it on the device; ended: played to its end; stopped or
# taken_over: another sender (or another queue) stopped it or took the device.
STATES = ("playing", "ended", "stopped", "taken_over")


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    device_name: Mapped[str] = mapped_column(String(255))
    # The items' numbers in the order they play (shuffled or not), and the place in it.
    order: Mapped[list] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    shuffle: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat: Mapped[str] = mapped_column(String(8), default="off")
    state: Mapped[str] = mapped_column(String(16), default="playing")
    # The app's address as the request that started it saw it: the device's URLs are made
    # from it, after a restart too, when no request is there to tell it.
    app_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    items: Mapped[list["QueueItem"]] = relationship(
        back_populates="queue", cascade="all, delete-orphan", order_by="QueueItem.number"
    )


class QueueItem(Base):
    __tablename__ = "queue_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # in the order added
    root: Mapped[str] = mapped_column(String(255))
    path: Mapped[bytes] = mapped_column(LargeBinary)  # the path's bytes below the root
    # Why it was skipped (it will not play there, even converted); None: it was not.
    skipped: Mapped[str | None] = mapped_column(Text, default=None)
    queue: Mapped[Queue] = relationship(back_populates="items")
