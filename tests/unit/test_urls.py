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
