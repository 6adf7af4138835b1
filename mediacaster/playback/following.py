"""What a file's page offers once the file ends: for an episode the catalogue knows, the
show's next episode, over a season's end, specials left out; else the next file of its
kind in its folder (the next song, the next episode of a folder of episodes)."""

from mediacaster.errors import NotFound
from mediacaster.services.catalogue import queries
from mediacaster.services.history import PLAYED_KINDS


def next_to_offer(library, catalogue, session, roots, entry):
    """``(entry or None, label or None)``: the file offered after ``entry`` among the
    ``roots`` the user sees, and what it is called there (None: its name). ``catalogue``:
    the app's, or None when it is off."""
    if entry.kind not in PLAYED_KINDS:
        return None, None
    if catalogue is not None and entry.kind == "video":
        found = queries.episode_after(session, roots, entry.root, entry.path)
        if found is not None:
            return _episode(library, found["next"])
    return library.next_file(entry, (entry.kind,)), None


def _episode(library, episode):
    if episode is None:  # the show's last episode
        return None, None
    try:
        following = library.entry(episode["root"], tuple(episode["path"].split("/")))
    except NotFound:  # gone since the catalogue saw it
        return None, None
    numbers = f"S{episode['season']:02d}E{episode['number']:02d}" if episode["number"] is not None else None
    label = " · ".join(part for part in (numbers, episode["title"]) if part)
    return following, label or None
