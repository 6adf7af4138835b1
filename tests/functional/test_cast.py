"""The cast service against fake Chromecasts that speak CASTV2 over TLS, found
through mDNS on the loopback interface or through known_hosts."""

import random
import threading
import time
from urllib.parse import quote

import pytest

from mediacaster import main
from mediacaster.fakecast import FakeChromecast
from mediacaster.services.cast import (
    CastMedia,
    CastService,
    DeviceUnreachable,
    LoadFailed,
    NothingPlaying,
    OutOfRange,
    UnknownDevice,
    UnsupportedMedia,
)
from tests.common.app import LOOPBACK, app_settings, wait_for
from tests.common.servers import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tv, hidden_tv):
    service = CastService(known_hosts=["127.0.0.3"], interfaces=LOOPBACK, connect_timeout=3, load_timeout=5)
    service.start()
    wait_for(lambda: len([d for d in service.devices() if d.online]) >= 2, 40, "discovery")
    yield service
    service.close()


@pytest.fixture(scope="module")
def media_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("castable")
    rng = random.Random(5)
    # An MP4 whose index is at the end: no "moov" in its first bytes.
    (folder / "movie tail-index.mp4").write_bytes(
        b"\0\0\0\x18ftypisom" + rng.randbytes(300_000).replace(b"moov", b"mooo")
    )
    (folder / "song.mp3").write_bytes(rng.randbytes(20_000))
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff" + rng.randbytes(5_000))
    (folder / "notes.txt").write_text("not media")
    return folder


@pytest.fixture(scope="module")
def media_server(redis_server, media_files):
    app = main({}, **app_settings({"m": media_files}, redis_server.url))
    with LiveServer(app) as server:
        yield app, server
    app.registry.services.close()


@pytest.fixture
def media_for(media_server, service):
    app, server = media_server

    def build(name, kind, device="Living Room TV", **extra):
        address = service.local_address(device)
        signed = app.registry.services.signer.sign("m", name)
        url = f"http://{address}:{server.port}/media/m/{quote(name)}?exp={signed['exp']}&sig={signed['sig']}"
        content_type = {"video": "video/mp4", "audio": "audio/mpeg", "image": "image/jpeg"}.get(
            kind, "text/plain"
        )
        return CastMedia(url=url, content_type=content_type, kind=kind, title=name, **extra)

    return build


# -- discovery ------------------------------------------------------------------


def test_mdns_discovery_fills_the_registry(service, tv):
    device = service.find("living room tv")
    assert device.id == str(tv.uuid)
    assert (device.name, device.model, device.type) == ("Living Room TV", "Chromecast", "cast")
    assert (device.host, device.port, device.online) == ("127.0.0.2", 8009, True)
    assert device.last_seen <= time.time()
    assert service.find(str(tv.uuid)) == device


def test_known_hosts_discovery(service, hidden_tv):
    device = service.find("Bedroom TV")
    assert (device.host, device.port, device.model) == ("127.0.0.3", 8009, "Chromecast Ultra")


def test_speaker_groups_and_audio_devices(service, device_zeroconf):
    group = FakeChromecast("Whole House", "Google Cast Group", "127.0.0.4").start(device_zeroconf)
    speaker = FakeChromecast("Kitchen speaker", "Google Home", "127.0.0.5", port=8009).start(device_zeroconf)
    try:
        found = wait_for(
            lambda: (
                {d.name: d for d in service.devices() if d.name in ("Whole House", "Kitchen speaker")}
                if len([d for d in service.devices() if d.name in ("Whole House", "Kitchen speaker")]) == 2
                else None
            ),
            20,
            "group and speaker",
        )
        assert found["Whole House"].type == "group" and found["Whole House"].port == group.port != 8009
        assert found["Kitchen speaker"].type == "audio"
    finally:
        group.stop()
        speaker.stop()


def test_unknown_device(service):
    with pytest.raises(UnknownDevice, match="no cast device 'Garage TV' is known"):
        service.find("Garage TV")


# -- casting ----------------------------------------------------------------------


def test_cast_a_video_the_device_fetches_it(service, tv, media_for):
    media = media_for("movie tail-index.mp4", "video")
    assert media.url.startswith("http://127.0.0.1:")  # the address on the device's connection
    fetches_before = len(tv.fetches)
    status = service.cast("Living Room TV", media)
    assert status.media.player_state == "PLAYING"
    assert status.media.content_id == media.url
    assert status.device.app_id == "CC1AD845"
    _, load = tv.loads[-1]
    assert load["media"]["streamType"] == "BUFFERED"
    assert load["media"]["contentType"] == "video/mp4"
    assert load["media"]["metadata"]["title"] == "movie tail-index.mp4"
    fetches = tv.fetches[fetches_before:]
    assert [(f.range, f.status) for f in fetches] == [("bytes=0-", 206), (f"bytes={300_012 - 65536}-", 206)]
    assert fetches[0].content_type == "video/mp4"


def test_cast_audio_with_music_metadata_and_an_image(service, tv, media_for):
    service.cast("Living Room TV", media_for("song.mp3", "audio", artist="The Testers", album="Loopback"))
    metadata = tv.loads[-1][1]["media"]["metadata"]
    assert metadata == {
        "metadataType": 3,
        "title": "song.mp3",
        "artist": "The Testers",
        "albumName": "Loopback",
    }
    service.cast("Living Room TV", media_for("photo.jpg", "image"))
    load = tv.loads[-1][1]
    assert load["media"]["metadata"]["metadataType"] == 4 and load["media"]["contentType"] == "image/jpeg"


def test_cast_from_a_start_position(service, tv, media_for):
    status = service.cast("Living Room TV", media_for("movie tail-index.mp4", "video", start=12.5))
    assert tv.loads[-1][1]["currentTime"] == 12.5
    assert status.media.current_time >= 12.5


def test_unsupported_media(service, media_for):
    with pytest.raises(UnsupportedMedia):
        service.cast("Living Room TV", media_for("notes.txt", "other"))


def test_an_unreachable_url_is_a_clear_load_failed(service, tv):
    media = CastMedia(url="http://127.0.0.1:9/nothing.mp4", content_type="video/mp4", kind="video", title="x")
    with pytest.raises(
        LoadFailed, match="Living Room TV could not play it: the receiver could not fetch the media"
    ):
        service.cast("Living Room TV", media)


def test_a_url_answering_403_is_a_load_failed(service, media_server):
    _, server = media_server
    media = CastMedia(
        url=f"{server.url}/media/m/song.mp3", content_type="audio/mpeg", kind="audio", title="x"
    )
    with pytest.raises(LoadFailed):
        service.cast("Living Room TV", media)


# -- control ------------------------------------------------------------------------


def test_every_control(service, tv, media_for):
    service.cast("Living Room TV", media_for("movie tail-index.mp4", "video"))
    assert service.pause("Living Room TV").media.player_state == "PAUSED"
    assert tv.player_state == "PAUSED"
    assert service.play("Living Room TV").media.player_state == "PLAYING"
    assert tv.player_state == "PLAYING"
    service.seek("Living Room TV", 20)
    assert 20 <= tv.position() < 22
    assert service.set_volume("Living Room TV", 0.3).device.volume == pytest.approx(0.3)
    assert tv.volume["level"] == pytest.approx(0.3)
    assert service.set_muted("Living Room TV", True).device.muted is True
    assert tv.volume["muted"] is True
    service.set_muted("Living Room TV", False)
    status = service.status("Living Room TV")
    assert status.media.title == "movie tail-index.mp4"
    assert status.media.duration == 30.0
    assert 20 <= status.media.current_time < 25
    stopped = service.stop_media("Living Room TV").media
    assert stopped.player_state == "IDLE" and stopped.idle_reason == "CANCELLED"
    with pytest.raises(NothingPlaying, match="nothing is playing on Living Room TV"):
        service.pause("Living Room TV")
    assert service.quit_app("Living Room TV").device.app_id is None
    with pytest.raises(OutOfRange):
        service.set_volume("Living Room TV", 1.5)


def test_playback_ends_with_finished(service, tv, media_for):
    service.cast("Living Room TV", media_for("movie tail-index.mp4", "video", start=29.5))
    wait_for(lambda: service.status("Living Room TV").media.idle_reason == "FINISHED", 5, "FINISHED")


# -- reliability -----------------------------------------------------------------------


def test_a_lost_load_is_sent_again(service, tv, media_for):
    service.load_timeout, saved = 3.0, service.load_timeout
    try:
        before = len(tv.loads)
        tv.drop_next_loads = 1
        status = service.cast("Living Room TV", media_for("song.mp3", "audio"))
        assert status.media.player_state == "PLAYING"
        assert len(tv.loads) - before == 2
    finally:
        service.load_timeout = saved


def test_200_casts_in_a_row_all_confirmed(service, tv, media_for):
    media = media_for("photo.jpg", "image")
    before = len(tv.loads)
    for _ in range(200):
        assert service.cast("Living Room TV", media).media.content_id == media.url
    assert len(tv.loads) - before == 200  # none lost, none retried


def test_concurrent_casts_and_commands_from_many_threads(service, tv, hidden_tv, media_for):
    medias = {name: media_for("photo.jpg", "image", device=name) for name in ("Living Room TV", "Bedroom TV")}
    errors = []

    def worker(n):
        name = ("Living Room TV", "Bedroom TV")[n % 2]
        try:
            for _ in range(10):
                service.cast(name, medias[name])
                service.status(name)
                service.set_volume(name, 0.5)
        except Exception as error:  # collected, asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []


def test_a_device_that_vanishes_and_comes_back(service, tv, media_for):
    media = media_for("photo.jpg", "image")
    tv.stop()
    try:
        wait_for(lambda: not service.find("Living Room TV").online, 15, "offline")
        started = time.monotonic()
        with pytest.raises(DeviceUnreachable, match="offline"):
            service.cast("Living Room TV", media)
        assert time.monotonic() - started < 5
    finally:
        tv.start(tv._zeroconf)
    wait_for(lambda: service.find("Living Room TV").online, 15, "back online")
    assert service.cast("Living Room TV", media).media.player_state == "PLAYING"


def test_a_device_that_restarts_gets_its_connection_back(service, tv, media_for):
    media = media_for("photo.jpg", "image")
    service.cast("Living Room TV", media)
    tv.restart()  # every connection drops, the app is gone
    status = service.cast("Living Room TV", media)
    assert status.media.player_state == "PLAYING"


def test_an_unreachable_device_answers_within_seconds(service, hidden_tv, media_for):
    media = media_for("photo.jpg", "image", device="Bedroom TV")
    hidden_tv.stop()  # no mDNS to say so: the connection just goes
    try:
        started = time.monotonic()
        with pytest.raises(DeviceUnreachable):
            service.cast("Bedroom TV", media)
        assert time.monotonic() - started < 8
    finally:
        hidden_tv.start()


def test_the_app_discovers_from_startup_and_reports_it(make_app, tv, hidden_tv):
    import webtest

    app = make_app(
        **{
            "mediacaster.discovery": "true",
            "mediacaster.discovery_interfaces": "127.0.0.1",
            "mediacaster.known_hosts": "127.0.0.3",
        }
    )
    testapp = webtest.TestApp(app)
    found = wait_for(
        lambda: testapp.get("/healthz").json["discovery"]["online"] >= 2 or None, 40, "discovery"
    )
    assert found
    discovery = testapp.get("/healthz").json["discovery"]
    assert discovery["running"] is True and discovery["known_hosts"] == ["127.0.0.3"]
    assert {d.name for d in app.registry.services.cast.devices()} >= {"Living Room TV", "Bedroom TV"}
