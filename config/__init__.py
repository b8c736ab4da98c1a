"""Settings for the tracker; imports nothing of ours."""

from config.settings import DEFAULT_SECRET, Settings, load_settings

__all__ = ["DEFAULT_SECRET", "Settings", "load_settings"]
