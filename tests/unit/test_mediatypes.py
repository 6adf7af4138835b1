import pytest

from mediacaster.mediatypes import classify


@pytest.mark.parametrize(
    ("name", "content_type", "kind"),
    [
        ("a.mp4", "video/mp4", "video"),
        ("a.M4V", "video/mp4", "video"),
        ("a.mkv", "video/x-matroska", "video"),
        ("a.webm", "video/webm", "video"),
        ("a.mov", "video/quicktime", "video"),
        ("a.avi", "video/x-msvideo", "video"),
        ("a.ts", "video/mp2t", "video"),
        ("a.m3u8", "application/vnd.apple.mpegurl", "video"),
        ("a.mpd", "application/dash+xml", "video"),
        ("a.mp3", "audio/mpeg", "audio"),
        ("a.m4a", "audio/mp4", "audio"),
        ("a.aac", "audio/aac", "audio"),
        ("a.flac", "audio/flac", "audio"),
        ("a.ogg", "audio/ogg", "audio"),
        ("a.oga", "audio/ogg", "audio"),
        ("a.opus", "audio/ogg", "audio"),
        ("a.wav", "audio/wav", "audio"),
        ("a.jpg", "image/jpeg", "image"),
        ("a.JPEG", "image/jpeg", "image"),
        ("a.png", "image/png", "image"),
        ("a.gif", "image/gif", "image"),
        ("a.webp", "image/webp", "image"),
        ("a.vtt", "text/vtt; charset=utf-8", "other"),
        ("a.srt", "application/x-subrip", "other"),
        ("README", "application/octet-stream", "other"),
        (".mp4", "application/octet-stream", "other"),
    ],
)
def test_media_types_do_not_depend_on_the_host(name, content_type, kind):
    assert classify(name) == (content_type, kind)
