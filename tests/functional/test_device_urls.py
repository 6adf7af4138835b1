"""The URLs a cast device is told to fetch."""

from pyramid.request import Request, apply_request_extensions

from mediacaster.services.library import Entry
from mediacaster.urls import device_urls


def test_device_media_urls_use_the_connection_address_or_the_public_url(make_app):
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
        url = device_urls(request, address).stream(entry)
        assert url.startswith(expected), url
        query = dict(part.split("=") for part in url.split("?")[1].split("&"))
        app.registry.services.signer.verify("video", entry.path, query["exp"], query["sig"])
