"""What goes wrong converting a file, as the app's errors (:mod:`mediacaster.errors`)."""

from mediacaster.errors import InsufficientStorage, NotFound, Unavailable, Unprocessable


class ConversionUnavailable(Unavailable):
    code = "conversion_unavailable"
    default_detail = "ffmpeg is not installed: files are not converted (install Debian's ffmpeg)"


class ConversionBusy(Unavailable):
    code = "conversion_busy"


class ConversionFailed(Unprocessable):
    code = "conversion_failed"


class ConversionSlow(Unavailable):
    code = "conversion_slow"


class CacheFull(InsufficientStorage):
    code = "cache_full"


class NoSuchSegment(NotFound):
    code = "no_such_segment"
