"""Files that hold people's data (profiles, demographics, tokens) are the owner's alone:
folders 0700, files 0600, whatever the process's umask."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """The folder, created 0700 (an existing one of ours is tightened; one owned by someone
    else, a mounted volume say, is left as its owner set it)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file created 0600 (an existing file is made 0600 first)."""
    private_dir(path.parent)
    if path.exists():
        path.chmod(0o600)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)


def make_private(*paths: Path) -> None:
    """Tighten files written by a library that chose its own mode (numpy, say)."""
    for path in paths:
        if path.exists():
            path.chmod(0o600)
