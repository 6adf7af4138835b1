"""What each user played: one row per user and file, with where they stopped and
whether they watched it to the end (resume, continue watching, progress bars)."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from mediacaster.models.accounts import now
from mediacaster.models.meta import Base


class Progress(Base):
    __tablename__ = "progress"
    __table_args__ = (
        # A folder's rows at once (progress bars), and a user's latest (continue watching).
        Index("ix_progress_folder", "user_id", "root", "folder"),
        Index("ix_progress_recent", "user_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    root: Mapped[str] = mapped_column(String(255))
    # The path's bytes below the root (names need not be UTF-8), and its folder's.
    path: Mapped[bytes] = mapped_column(LargeBinary)
    folder: Mapped[bytes] = mapped_column(LargeBinary)
    position: Mapped[float] = mapped_column(Float, default=0.0)  # seconds
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    watched: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


# One row per user (NULL: everyone, with logins off) and file.
Index("uq_progress_file", func.coalesce(Progress.user_id, 0), Progress.root, Progress.path, unique=True)
