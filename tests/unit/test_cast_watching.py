"""How a receiver's media status reads: which idle reasons are another sender's doing."""

import pytest
from pychromecast.config import APP_MEDIA_RECEIVER

from mediacaster.services.cast.loading import describe_error
from mediacaster.services.cast.watching import STOPPED, TAKEN_OVER, interruption

OURS = "http://192.168.1.2:6543/media/m/a.mp4"


@pytest.mark.parametrize(
    ("state", "reason", "how"),
    [
        ("PLAYING", None, None),
        ("PAUSED", None, None),
        ("IDLE", "FINISHED", None),  # played to its end
        ("IDLE", "ERROR", None),  # the device failed it: no other sender's doing
        ("IDLE", None, None),  # loading
        ("IDLE", "INTERRUPTED", TAKEN_OVER),  # another LOAD, before its media starts
        ("IDLE", "CANCELLED", STOPPED),  # a STOP
    ],
)
def test_what_an_idle_reason_says_of_another_sender(state, reason, how):
    assert interruption({OURS}, APP_MEDIA_RECEIVER, OURS, state, reason) == how


def test_other_media_or_another_app_or_none_is_an_interruption():
    assert interruption({OURS}, APP_MEDIA_RECEIVER, "http://phone/b.mp4", "PLAYING", None) == TAKEN_OVER
    assert interruption({OURS}, "233637DE", OURS, "PLAYING", None) == TAKEN_OVER  # another app
    assert interruption({OURS}, None, OURS, "PLAYING", None) == STOPPED  # the receiver app closed


def test_error_codes_in_words():
    assert describe_error(102) == "the media could not be decoded"
    assert describe_error(104) == "the receiver could not fetch the media"
    assert describe_error(999) == "error 999"
    assert describe_error(None) == "it stopped with an error"
