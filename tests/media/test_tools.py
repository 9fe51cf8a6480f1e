from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from reelbase.media import Tools, ToolsNotFound, find_tools, has_encoder, has_filter
from reelbase.media.tools import has_demuxer, is_static_binary, subprocess_env


def test_find_tools_returns_executables(tools: Tools) -> None:
    for path in (tools.ffmpeg, tools.ffprobe):
        assert Path(path).is_absolute()
        assert os.access(path, os.X_OK)


def test_find_tools_explicit_path_wins(tools: Tools) -> None:
    found = find_tools(ffmpeg=tools.ffmpeg, ffprobe=tools.ffprobe)
    assert found == tools


def test_find_tools_explicit_missing_path_is_an_error() -> None:
    with pytest.raises(ToolsNotFound, match="not found"):
        find_tools(ffmpeg="/nonexistent/ffmpeg")


def test_find_tools_falls_back_to_package_when_path_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    found = find_tools()
    assert "ffmpeg" in Path(found.ffmpeg).name
    assert os.access(found.ffprobe, os.X_OK)


def test_has_filter_and_encoder(tools: Tools) -> None:
    assert has_filter(tools, "idet")
    assert has_filter(tools, "blurdetect")
    assert not has_filter(tools, "no_such_filter_xyz")
    assert has_encoder(tools, "libx264")
    assert not has_encoder(tools, "no_such_encoder")
    assert has_demuxer(tools, "mov") and has_demuxer(tools, "mp4") and has_demuxer(tools, "matroska")


def test_static_build_gets_private_gconv_path(tools: Tools, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GCONV_PATH", raising=False)
    if is_static_binary(tools.ffmpeg):
        env = subprocess_env(tools.ffmpeg)
        assert env is not None and Path(env["GCONV_PATH"]).is_dir()
        assert not any(Path(env["GCONV_PATH"]).iterdir())
    assert subprocess_env(sys.executable) is None  # a dynamically linked program is left alone
    assert not is_static_binary(sys.executable)
    monkeypatch.setenv("GCONV_PATH", "/custom")
    assert subprocess_env(tools.ffmpeg) is None
