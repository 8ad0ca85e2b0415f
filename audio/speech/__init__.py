"""The speech stage: casts and the lexicon, voices checked, segments synthesized into the segment cache."""
