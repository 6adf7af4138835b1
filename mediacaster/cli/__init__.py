"""The command-line tools: ``mediacaster`` (serve an ini file), ``mediacaster-cast`` and
``mediacaster-admin``, one module each."""
