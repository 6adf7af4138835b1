"""The app's request class."""

from pyramid.request import Request as PyramidRequest


class Request(PyramidRequest):
    # The API takes small JSON bodies (waitress refuses more than max_request_body_size, 1 MiB
    # in both ini files): one is kept in memory, not in a temporary file that only the garbage
    # collector would close.
    request_body_tempfile_limit = 1 << 20


def includeme(config):
    config.set_request_factory(Request)
