"""Settings for the tracker; imports nothing of ours."""

from config.settings import DEFAULT_SECRET, Settings, SettingsError, load_settings, read_settings

__all__ = ["DEFAULT_SECRET", "Settings", "SettingsError", "load_settings", "read_settings"]
