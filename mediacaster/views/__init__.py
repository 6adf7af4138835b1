"""Views, one module per area; found by ``config.scan``."""
