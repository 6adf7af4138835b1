"""Which videos offer seek previews, and the URLs of their parts (the pictures are made by
:mod:`mediacaster.services.previews`)."""

from mediacaster.services.previews import VTT_NAME, PreviewsUnavailable


def previews_of(services, entry, probe=None):
    """The entry's :class:`~mediacaster.services.previews.Previews` (made or not), or
    :class:`PreviewsUnavailable`; ``probe``: the entry's, when already read."""
    if entry.kind != "video":
        raise PreviewsUnavailable("only videos have seek previews")
    probe = probe if probe is not None else services.playback.read(entry)
    return services.previews.find(services.library.file_path(entry), probe)


def sheet_urls(urls, entry, found):
    """``url(index)`` of the previews' sheets (``urls``: an EntryUrls)."""
    return lambda index: urls.previews(entry, found.sheet_name(index))


def track_url(services, urls, entry, probe):
    """The URL of the entry's WebVTT thumbnail track, or None when it has none to offer;
    offered for a video not read yet (``probe`` None): its track says."""
    if not services.previews.enabled or entry.kind != "video":
        return None
    if probe is not None:
        try:
            previews_of(services, entry, probe)
        except PreviewsUnavailable:
            return None
    return urls.previews(entry, VTT_NAME)
