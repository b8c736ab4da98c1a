"""Settings for the tracker; imports nothing of ours."""

from config.settings import (
    DEFAULT_SECRET,
    SECRET_ADVICE,
    Settings,
    SettingsError,
    load_settings,
    read_settings,
    weak_secret,
)

__all__ = [
    "DEFAULT_SECRET",
    "SECRET_ADVICE",
    "Settings",
    "SettingsError",
    "load_settings",
    "read_settings",
    "weak_secret",
]
