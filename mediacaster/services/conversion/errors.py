"""What goes wrong converting a file, as the app's errors (:mod:`mediacaster.errors`)."""

from mediacaster.errors import NotFound, Unavailable, Unprocessable
from mediacaster.services.diskcache import CacheFull

__all__ = [
    "CacheFull",
    "ConversionBusy",
    "ConversionCrashed",
    "ConversionFailed",
    "ConversionSlow",
    "ConversionUnavailable",
    "NoSuchSegment",
]


class ConversionUnavailable(Unavailable):
    code = "conversion_unavailable"
    default_detail = "ffmpeg is not installed: files are not converted (install Debian's ffmpeg)"


class ConversionBusy(Unavailable):
    code = "conversion_busy"


class ConversionFailed(Unprocessable):
    code = "conversion_failed"


class ConversionSlow(Unavailable):
    code = "conversion_slow"


class ConversionCrashed(Unavailable):
    """ffmpeg died (a crash, the kernel's out-of-memory killer) or hung, again after its restart."""

    code = "conversion_crashed"


class NoSuchSegment(NotFound):
    code = "no_such_segment"
