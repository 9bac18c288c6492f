"""Settings for the load test only: the production settings with a URLconf that adds a bare view to compare with."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "load.urls"
