"""A file's identity apart from its name: device, inode and size, and a hash of its
content that a copy keeps."""

import hashlib
import os

from mediacaster.errors import NotFound
from mediacaster.services.library import open_regular

MiB = 1024 * 1024


def content_hash(path, size):
    """SHA-256 of the size and the first and last MiB (the whole file when smaller):
    two reads, however large the film. Raises ``OSError`` when it cannot be read (a FIFO
    put in its place is not waited on)."""
    digest = hashlib.sha256(str(size).encode() + b"\0")
    try:
        file = open_regular(path)
    except NotFound as error:
        raise OSError(str(error)) from None
    with file:
        digest.update(file.read(MiB))
        if size > 2 * MiB:
            file.seek(size - MiB)
            digest.update(file.read(MiB))
        elif size > MiB:
            digest.update(file.read())
    return digest.hexdigest()


def same_file(real_path, device, inode):
    """Whether ``real_path`` is still the file of that device and inode."""
    try:
        st = os.stat(real_path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (device, inode)
