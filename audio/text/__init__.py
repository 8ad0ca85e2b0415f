"""The text stage: script files read, interview text split into an episode of chapters and segments."""
