"""The catalogue: the library read as films, shows, music and photos from what is on the
disk (``.nfo`` files, embedded tags, release and folder names, local art), kept in step
with the disk by a background scanner.

- :mod:`.identify` (with :mod:`.nfo`, :mod:`.tags`, :mod:`.names`, :mod:`.photos`, :mod:`.listing`,
  :mod:`.art`): what one file is;
- :mod:`.store`: writing it, with file identities that survive a move;
- :mod:`.scanner`: the background thread, full scans and watchdog;
- :mod:`.queries`: what pages ask, for the roots a user sees.
"""

from mediacaster.services.catalogue.items import item_of
from mediacaster.services.catalogue.scanner import Scanner

__all__ = ["Catalogue"]


class Catalogue:
    """The catalogue service the app holds: its scanner, started and stopped with the app.
    Reads go through :mod:`mediacaster.services.catalogue.queries` with the request's
    database session."""

    def __init__(self, database, library, rescan_interval=600.0, watch=True):
        self.database = database
        self.scanner = Scanner(database, library, rescan_interval=rescan_interval, watch=watch)

    def start(self):
        self.scanner.start()
        return self

    def close(self):
        self.scanner.close()

    def progress(self):
        return self.scanner.progress()

    def item(self, root, path):
        """What the catalogue knows of the file at ``path`` below ``root``
        (:func:`.items.item_of`), or None."""
        with self.database.sessions() as session:
            return item_of(session, root, path)
