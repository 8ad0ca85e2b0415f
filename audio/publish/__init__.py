"""The publish stage: tags and chapters in the MP3, and the files beside it (transcripts, chapters, player page)."""
