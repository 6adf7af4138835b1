import pytest
from pyramid import testing

from mediacaster import urls

NAMES = [(), ("a b", "c#d?e%f", "é\u0301.mp4"), ("x:y@z&+$,;=~!'()*",), ("100%",)]


@pytest.mark.parametrize("segments", NAMES)
def test_fast_entry_urls_equal_pyramids(segments):
    with testing.testConfig() as config:
        config.add_route("media.stream", "/media/{root}*path")
        request = testing.DummyRequest()
        remainder = "/" + "/".join(segments) if segments else ""
        expected = request.route_url("media.stream", root="video", path=remainder)
        assert urls.entry_url(request, "media.stream", "video", segments) == expected
        assert urls.entry_url(request, "media.stream", "video", segments) == expected  # cached prefix


def test_device_media_urls_use_the_connection_address_or_the_public_url(make_app):
    from pyramid.request import Request, apply_request_extensions

    from mediacaster.services.library import Entry

    entry = Entry("video", "Films/Le café #2.mp4", "Le café #2.mp4", False, 1, 0.0, "video", "video/mp4")
    for public_url, address, expected in [
        ("", "192.168.1.20", "http://192.168.1.20:6543/media/video/Films/Le%20caf%C3%A9%20%232.mp4?exp="),
        ("", "fd00::20", "http://[fd00::20]:6543/media/video/Films/Le%20caf%C3%A9%20%232.mp4?exp="),
        (
            "https://nas.example/mediacenter",
            "192.168.1.20",
            "https://nas.example/mediacenter/media/video/Films/Le%20caf%C3%A9%20%232.mp4?exp=",
        ),
    ]:
        app = make_app(**{"mediacaster.public_url": public_url})
        request = Request.blank("/", base_url="http://localhost:6543")
        request.registry = app.registry
        apply_request_extensions(request)
        url = urls.device_media_url(request, entry, address)
        assert url.startswith(expected), url
        query = dict(part.split("=") for part in url.split("?")[1].split("&"))
        app.registry.signer.verify("video", entry.path, query["exp"], query["sig"])
