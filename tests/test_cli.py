"""The command line: every command has help, bad input gets one clear line and an exit code."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from audio.cli import app

runner = CliRunner()
COMMANDS = ["render", "split", "voices", "cache", "doctor", "chapters", "extract", "play", "revoice"]


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) > 3


def test_version_names_engine_and_ffmpeg():
    result = subprocess.run([sys.executable, "-m", "audio", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "libespeak-ng" in result.stdout and "ffmpeg" in result.stdout


def test_missing_script_is_one_line_without_traceback(tmp_path):
    missing = tmp_path / "nope.txt"
    result = subprocess.run(
        [sys.executable, "-m", "audio", "render", str(missing)], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 3
    assert result.stderr.strip() == f"error: {missing}: no such file; check the path"


def test_directory_as_script(tmp_path):
    result = runner.invoke(app, ["split", str(tmp_path)])
    assert result.exit_code == 3
    assert "is a directory" in result.output


@pytest.mark.espeak
def test_cache_shows_and_clears(tmp_path, project):
    from audio.render import render

    result = render(project / "scripts" / "tiny.txt", cache_dir=tmp_path / "c")
    entries = 8 + len(set(result.voices.values()))  # the segments, and each voice's calibration reading
    shown = runner.invoke(app, ["cache", "--cache-dir", str(tmp_path / "c")])
    assert shown.exit_code == 0 and f"{entries} entries" in shown.output
    cleared = runner.invoke(app, ["cache", "--cache-dir", str(tmp_path / "c"), "--clear"])
    assert f"removed {entries} entries" in cleared.output
    assert "0 entries" in runner.invoke(app, ["cache", "--cache-dir", str(tmp_path / "c")]).output
