"""Converting files a target cannot play into seekable HLS segments."""

from mediacaster.services.conversion.service import ConversionService
from mediacaster.services.conversion.streams import Stream, Variant

__all__ = ["ConversionService", "Stream", "Variant"]
