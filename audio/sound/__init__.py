"""The sound stage: segments laid out with pauses, levelled, encoded as MP3 parts on a frame grid, joined."""
