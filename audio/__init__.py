"""podcast: render interview scripts as chaptered, tagged podcast episodes, offline."""

__version__ = "0.1.0"
