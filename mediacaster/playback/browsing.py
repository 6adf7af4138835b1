"""Browsing the library: what a folder or a file shows a user, for the library's pages and
its API alike (each shapes it its own way: HTML or JSON)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from mediacaster.errors import AppError
from mediacaster.playback.following import next_to_offer
from mediacaster.playback.plans import Plan, Playback, Target
from mediacaster.playback.prefetch import Prefetch, due
from mediacaster.playback.verdicts import Verdict
from mediacaster.services import history
from mediacaster.services.history import Place
from mediacaster.services.library import Entry, LibraryService
from mediacaster.services.probe import ProbeService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FolderView:
    """A folder's entries, and what is known of those in the window asked for."""

    folder: Entry
    entries: list[Entry]  # every entry, sorted and filtered as asked
    shown: list[Entry]  # those in the window
    details: dict[str, tuple]  # see Playback.details
    verdicts: dict[str, Verdict]  # of the media shown, on the device asked about
    pending: int  # files shown still being read
    probe_state: dict  # see ProbeService.state
    places: dict[str, Place]  # where the user is in the folder's files, by name


@dataclass(frozen=True)
class FileView:
    plan: Plan  # on the device asked about, else the browser
    verdict: Verdict | None  # on the device asked about, for media
    place: Place | None  # where the user is in it


class Browsing:
    def __init__(self, library: LibraryService, playback: Playback, probe: ProbeService, catalogue=None):
        self.library = library
        self.playback = playback
        self.probe = probe
        self.catalogue = catalogue  # None: off
        self.prefetch = Prefetch(library, playback)

    def folder(
        self,
        entry: Entry,
        window: Callable[[int], slice],
        target: Target | None,
        session,
        user_id: int | None,
        sort: str = "name",
        descending: bool = False,
        query: str = "",
    ) -> FolderView:
        """The folder ``entry``; ``window(count)``: the entries shown of ``count``.
        ``session``: the database session, for where ``user_id`` is in its files."""
        folder, entries = self.library.listing(
            entry.root, entry.segments, sort=sort, descending=descending, query=query
        )
        shown = entries[window(len(entries))]
        details, verdicts = self.playback.listing(shown, target)
        return FolderView(
            folder=folder,
            entries=entries,
            shown=shown,
            details=details,
            verdicts=verdicts,
            pending=self.playback.pending(details),
            probe_state=self.probe.state(),
            places=history.of_folder(session, user_id, folder.root, folder.path),
        )

    def file(self, entry: Entry, urls, target: Target | None, session, user_id: int | None) -> FileView:
        """The file ``entry``, never waiting for it to be read (the page or script asks again)."""
        plan = self.playback.plan(entry, target or Target.browser(), urls, wait=False)
        verdict = plan.verdict if target and entry.is_media else None
        place = history.place(session, user_id, entry.root, entry.path)
        return FileView(plan, verdict, place)

    def following(self, entry: Entry, session, roots) -> tuple[Entry | None, str | None]:
        """What the file's page offers once ``entry`` ends: see :func:`.following.next_to_offer`."""
        return next_to_offer(self.library, self.catalogue, session, roots, entry)

    def played_to(self, entry, position, duration, target, urls, session, roots, reader):
        """A page's player is at ``position`` of ``entry`` (``duration`` seconds long): near
        the end, the start of what the page offers next is made ready for ``target`` (see
        :mod:`.prefetch`); that entry, or None."""
        if not due(position, duration):
            return None
        try:
            following, _label = self.following(entry, session, roots)
            if following is None:
                return None
            plan = self.playback.plan(following, target, urls, wait=False)
        except AppError as error:  # its page says so when it opens
            log.info("the file after %s was not made ready: %s", entry.path, error)
            return None
        if plan.will_not_play or plan.probe_state == "pending":
            return None  # not read yet (being read now): the next report makes it ready
        self.prefetch.ahead(plan, reader)
        return following
