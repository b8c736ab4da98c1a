"""Settings for the tracker; imports nothing of ours."""

from config.settings import (
    DEFAULT_SECRET,
    SECRET_ADVICE,
    SERVE_HOST_ENV,
    Settings,
    SettingsError,
    known_secret_refusal,
    load_settings,
    read_settings,
    unknown_variables,
    weak_secret,
)

__all__ = [
    "DEFAULT_SECRET",
    "SECRET_ADVICE",
    "SERVE_HOST_ENV",
    "Settings",
    "SettingsError",
    "known_secret_refusal",
    "load_settings",
    "read_settings",
    "unknown_variables",
    "weak_secret",
]
