"""The names in the folders of a root, as listings show them, each folder read once and
what is looked up in its names worked out once: a scan asks the same of a folder for
every file in it (its art, its .nfo files, whether a film is alone there)."""

import functools
from collections import Counter

from mediacaster.mediatypes import classify

PICTURES = (".jpg", ".jpeg", ".png", ".webp")
KEPT = 256  # folders whose listing is kept; a scan walks them one after the other


def pictures(names):
    """``{lowered stem: [names]}`` of the pictures among ``names``."""
    by_stem = {}
    for name in names:
        dot = name.rfind(".")
        if dot > 0 and name[dot:].lower() in PICTURES:
            by_stem.setdefault(name[:dot].lower(), []).append(name)
    return by_stem


class Listing(tuple):
    """The names in one folder."""

    @functools.cached_property
    def pictures(self):
        return pictures(self)

    @functools.cached_property
    def lowered(self):
        """``{lowered name: name}``."""
        return {name.lower(): name for name in self}

    @functools.cached_property
    def kinds(self):
        """How many files of each kind (video, audio, image...) the folder holds."""
        return Counter(classify(name)[1] for name in self)


class Folders:
    """The listings below one root; ``list_names(relative folder)`` reads one."""

    def __init__(self, list_names):
        self._list_names = list_names
        self._known = {}

    def names(self, folder):
        """The :class:`Listing` of ``folder`` (below the root)."""
        if folder not in self._known:
            if len(self._known) > KEPT:
                self._known.clear()
            self._known[folder] = Listing(self._list_names(folder))
        return self._known[folder]
