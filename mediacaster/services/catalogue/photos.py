"""Photos in the catalogue: their size and when they were taken, as a photo's page reads
them (:func:`mediacaster.services.photos.read`, Pillow on the file's header only)."""

from datetime import datetime

from mediacaster.services import photos


def read(path):
    """``{"width", "height", "taken_at"}`` (``taken_at`` only when EXIF says it), or ``{}``."""
    facts = photos.read(path)
    if facts is None:  # not a picture Pillow reads, or a damaged one
        return {}
    found = {"width": facts["width"], "height": facts["height"]}
    if facts["taken"]:
        found["taken_at"] = datetime.fromisoformat(facts["taken"])
    return found
