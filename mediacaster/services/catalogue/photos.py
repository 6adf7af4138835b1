"""Photos: when they were taken (EXIF) and their size, read with Pillow without decoding
the picture."""

import logging
import warnings
from datetime import datetime

from PIL import Image

log = logging.getLogger(__name__)
EXIF_IFD = 0x8769
DATE_TIME_ORIGINAL, DATE_TIME = 36867, 306


def read(path):
    """``{"width", "height", "taken_at"}`` (``taken_at`` only when EXIF says it), or ``{}``."""
    try:
        with warnings.catch_warnings():
            # A picture of more pixels than Pillow's bomb limit is still a photo: only its
            # header is read here, never its pixels.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                found = {"width": image.width, "height": image.height}
                exif = image.getexif()
                taken = exif.get_ifd(EXIF_IFD).get(DATE_TIME_ORIGINAL) or exif.get(DATE_TIME)
    except Exception:  # not a picture Pillow reads, or a damaged one
        log.debug("no picture facts read from %s", path, exc_info=True)
        return {}
    moment = _exif_time(taken)
    if moment is not None:
        found["taken_at"] = moment
    return found


def _exif_time(value):
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
