"""Folders shipped inside the edrm package (the default config files, the Alembic migrations),
found with importlib.resources so that an installed wheel finds them as a checkout does.

A wheel installs as plain files, so each folder is a real directory on disk; a zipped install
(zipimport) has none and is refused with an error naming the folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_dir(name: str) -> Path:
    """The folder `name` inside the installed edrm package, as a filesystem path."""
    folder = resources.files("edrm").joinpath(name)
    if not isinstance(folder, Path) or not folder.is_dir():
        raise RuntimeError(f"edrm is installed without its {name}/ folder ({folder})")
    return folder
