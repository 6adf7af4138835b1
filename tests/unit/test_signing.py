import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediacaster.signing import BUCKET, SignatureError, UrlSigner

HOUR = 3600
TTL = 6 * HOUR
NOON = 1_704_110_400  # 2024-01-01 12:00 UTC
PATH = "Films/Le café #2.mp4"
signer = UrlSigner("test-secret", TTL)


def signed(now=NOON, root="video", path=PATH):
    return signer.sign(root, path, now=now)


def test_a_signed_url_verifies():
    params = signed()
    signer.verify("video", PATH, params["exp"], params["sig"], now=NOON)


def test_the_signature_is_24_url_safe_characters_that_need_no_escaping():
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", signed()["sig"])


@pytest.mark.parametrize(
    ("offset", "expires"),
    [(0, NOON + 7 * HOUR), (1, NOON + 7 * HOUR), (HOUR - 1, NOON + 7 * HOUR), (HOUR, NOON + 8 * HOUR)],
)
def test_the_expiry_is_the_ttl_rounded_up_to_the_next_hour(offset, expires):
    assert signed(now=NOON + offset)["exp"] == str(expires)


def test_urls_signed_within_the_same_hour_are_identical():
    assert signed(now=NOON + 0.5) == signed(now=NOON + HOUR - 0.5)


def test_urls_signed_in_different_hours_differ():
    assert signed(now=NOON) != signed(now=NOON + HOUR)


@settings(database=None)
@given(now=st.floats(1e9, 4e9))
def test_a_url_lives_at_least_the_ttl_and_less_than_an_hour_more(now):
    expires = int(signed(now=now)["exp"])
    assert expires % BUCKET == 0
    assert now + TTL < expires <= now + TTL + BUCKET


def test_a_url_is_valid_up_to_its_expiry_second():
    params = signed()
    signer.verify("video", PATH, params["exp"], params["sig"], now=int(params["exp"]))


def test_an_expired_url_is_refused_naming_the_utc_time_it_expired():
    params = signed()
    with pytest.raises(SignatureError) as error:
        signer.verify("video", PATH, params["exp"], params["sig"], now=int(params["exp"]) + 1)
    assert str(error.value) == "this media URL expired at 2024-01-01 19:00 UTC: ask the app for a fresh one"


def forged_signature(sig):
    return ("B" if sig[0] == "A" else "A") + sig[1:]


@pytest.mark.parametrize(
    ("root", "path", "tamper"),
    [
        ("video", PATH, lambda exp, sig: (exp, forged_signature(sig))),
        ("video", "Films/other.mp4", lambda exp, sig: (exp, sig)),
        ("audio", PATH, lambda exp, sig: (exp, sig)),
        ("video", PATH, lambda exp, sig: (str(int(exp) + HOUR), sig)),
    ],
    ids=["forged-signature", "other-path", "other-root", "extended-expiry"],
)
def test_a_signature_is_refused_for_anything_but_what_was_signed(root, path, tamper):
    params = signed()
    expires, signature = tamper(params["exp"], params["sig"])
    with pytest.raises(SignatureError, match="^this media URL's signature does not match its path$"):
        signer.verify(root, path, expires, signature, now=NOON)


def test_a_forged_url_is_called_forged_even_once_expired():
    params = signed()
    later = int(params["exp"]) + 1
    with pytest.raises(SignatureError, match="does not match"):
        signer.verify("video", PATH, params["exp"], forged_signature(params["sig"]), now=later)


@pytest.mark.parametrize(
    ("expires", "signature"), [(None, "sig"), ("1704135600", None), ("", "sig"), ("1", "")]
)
def test_a_url_without_expiry_or_signature_is_refused(expires, signature):
    with pytest.raises(SignatureError, match="^this media URL carries no signature: use the stream_url or"):
        signer.verify("video", PATH, expires, signature, now=NOON)


@pytest.mark.parametrize("expires", ["soon", "1.7e9", "0x10", "1704135600s"])
def test_a_malformed_expiry_is_refused(expires):
    with pytest.raises(SignatureError, match="^this media URL has a malformed expiry time$"):
        signer.verify("video", PATH, expires, signed()["sig"], now=NOON)


def test_different_secrets_sign_differently_and_refuse_each_others_urls():
    other = UrlSigner("another-secret", TTL)
    params = signed()
    assert other.sign("video", PATH, now=NOON)["sig"] != params["sig"]
    with pytest.raises(SignatureError, match="does not match"):
        other.verify("video", PATH, params["exp"], params["sig"], now=NOON)


def test_a_non_ascii_signature_is_refused_as_forged():
    with pytest.raises(SignatureError, match="does not match"):
        signer.verify("video", PATH, signed()["exp"], "é" * 24, now=NOON)


def test_a_path_with_undecodable_bytes_signs_and_verifies():
    path = b"Films/caf\xe9.mp4".decode("utf-8", "surrogateescape")  # as os.listdir names a Latin-1 file
    params = signed(path=path)
    signer.verify("video", path, params["exp"], params["sig"], now=NOON)
