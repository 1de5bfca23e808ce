"""The platform's settings with one extra URL: the ceiling view the ingest benchmark compares against."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.ceiling"
