"""How a receiver's media status reads (which idle reasons are another sender's doing), and
how a connection's word on itself reads (since when the device has not answered)."""

import pytest
from pychromecast.config import APP_MEDIA_RECEIVER
from pychromecast.socket_client import (
    CONNECTION_STATUS_CONNECTED,
    CONNECTION_STATUS_CONNECTING,
    CONNECTION_STATUS_FAILED,
    CONNECTION_STATUS_LOST,
    ConnectionStatus,
    NetworkAddress,
)

from mediacaster.services.cast.connections import Health
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


def test_a_device_has_not_answered_since_its_connection_was_lost_until_it_is_made_again():
    told = []
    health = Health(lambda: told.append(health.lost_at))
    address = NetworkAddress("127.0.0.2", 8009)

    def say(status):
        health.new_connection_status(ConnectionStatus(status, address, None))

    say(CONNECTION_STATUS_CONNECTING)
    say(CONNECTION_STATUS_CONNECTED)
    assert health.lost_at is None
    say(CONNECTION_STATUS_LOST)
    lost = health.lost_at
    assert lost is not None
    say(CONNECTION_STATUS_CONNECTING)
    say(CONNECTION_STATUS_FAILED)  # every retry fails while it is away: the loss stays dated
    assert health.lost_at == lost
    say(CONNECTION_STATUS_CONNECTED)
    assert health.lost_at is None
    assert told == [None, None, lost, lost, lost, None]  # each word wakes whoever follows it
