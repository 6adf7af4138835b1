from types import SimpleNamespace

import pytest
from pyramid import testing

from mediacaster.services.library import Entry
from mediacaster.signing import UrlSigner
from mediacaster.urls import EntryUrls

NAMES = [(), ("a b", "c#d?e%f", "é\u0301.mp4"), ("x:y@z&+$,;=~!'()*",), ("100%",)]


@pytest.fixture
def request_():
    with testing.testConfig() as config:
        for name, pattern in [
            ("media.stream", "/media/{root}*path"),
            ("library.folder", "/library/{root}*path"),
        ]:
            config.add_route(name, pattern)
        request = testing.DummyRequest()
        request.registry.services = SimpleNamespace(signer=UrlSigner("unit-test-secret-0123", 3600))
        yield request


@pytest.mark.parametrize("segments", NAMES)
def test_fast_entry_urls_equal_pyramids(request_, segments):
    urls = EntryUrls(request_)
    remainder = "/" + "/".join(segments) if segments else ""
    expected = request_.route_url("media.stream", root="video", path=remainder)
    path = "/".join(segments)
    assert urls.url("media.stream", "video", path) == expected
    assert urls.url("media.stream", "video", path) == expected  # cached prefix and quoted path
    assert urls.folder("video", segments) == request_.route_url(
        "library.folder", root="video", path=remainder
    )


def test_media_urls_carry_a_signature_the_signer_accepts(request_):
    entry = Entry("video", "Films/Le café #2.mp4", "Le café #2.mp4", False, 1, 0.0, "video", "video/mp4")
    url = EntryUrls(request_).stream(entry)
    assert url.startswith("http://example.com/media/video/Films/Le%20caf%C3%A9%20%232.mp4?exp=")
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    request_.registry.services.signer.verify("video", entry.path, query["exp"], query["sig"])
