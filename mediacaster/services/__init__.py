"""Services, one module per job: library, search, probe, subtitles, pictures, cast,
the ffmpeg runner and the disk cache. They know nothing about HTTP; the app
creates, starts and stops them together (:mod:`mediacaster.lifecycle`)."""
