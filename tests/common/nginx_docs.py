"""docs/nginx.conf with a test's paths in place of its examples, optionally over TLS."""

from tests.common.app import REPO

TLS_LINES = (
    "# listen 443 ssl;",
    "# ssl_certificate /etc/ssl/mediacaster/cert.pem;",
    "# ssl_certificate_key /etc/ssl/mediacaster/key.pem;",
)


def rendered_conf(roots, socket_path, tls=None):
    """The file's server block for nginx on ``{port}`` of loopback; ``tls``: (cert, key) paths,
    for its commented HTTPS lines instead of plain HTTP."""
    conf = (REPO / "docs" / "nginx.conf").read_text()
    replacements = {
        "listen 80;": "listen 127.0.0.1:{port};",
        "server unix:/run/mediacaster/app.sock;": f"server unix:{socket_path};",
        "/etc/nginx/snippets/mediacaster-media.conf": str(REPO / "docs" / "mediacaster-media.conf"),
        "alias /srv/video/;": f"alias {roots['video']}/;",
        "alias /srv/music/;": f"alias {roots['audio']}/;",
        "alias /srv/photos/;": f"alias {roots['images']}/;",
    }
    if tls is not None:
        cert, key = tls
        replacements.update(
            {
                "listen 80;": "",
                TLS_LINES[0]: "listen 127.0.0.1:{port} ssl;",
                TLS_LINES[1]: f"ssl_certificate {cert};",
                TLS_LINES[2]: f"ssl_certificate_key {key};",
            }
        )
    for old, new in replacements.items():
        assert old in conf, f"docs/nginx.conf no longer holds {old!r}"
        conf = conf.replace(old, new)
    return conf
