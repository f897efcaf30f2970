"""Scenario zips in and out of the app; plain functions so they are tested without Streamlit.

An upload is untrusted: members that would land outside the temporary folder are refused
(zip-slip), and the import itself validates the whole folder before touching the database.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from sqlalchemy.engine import Engine

from scheduler.errors import InputError, Problem
from scheduler.services.dataset import ImportSummary, export_scenario, import_scenario

MAX_UNPACKED = 500 * 1024 * 1024
"""A scenario of 5,000 schools with a year of history is a few tens of MB unpacked."""


def _scenario_folder(root: Path) -> Path:
    """The folder holding schools.csv: the zip's root or its single top folder."""
    found = sorted(root.rglob("schools.csv"), key=lambda p: len(p.parts))
    return found[0].parent if found else root


def import_zip(engine: Engine, data: bytes, name: str = "upload.zip") -> ImportSummary:
    """Import a zipped scenario folder; InputError (database unchanged) when it is refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(
            [Problem(name, None, None, "not a zip file", "a .zip of a scenario folder")]
        ) from None
    with archive, tempfile.TemporaryDirectory(prefix="scenario-") as tmp:
        root = Path(tmp).resolve()
        members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_UNPACKED:
            raise InputError([Problem(name, None, None, "too large", "under 500 MB unpacked")])
        for member in members:
            target = (root / member.filename).resolve()
            if not target.is_relative_to(root):
                raise InputError(
                    [Problem(name, None, None, member.filename, "paths inside the zip's folder")]
                )
        archive.extractall(root)
        return import_scenario(engine, _scenario_folder(root))


def export_zip(engine: Engine) -> bytes:
    """The stored book as a zipped scenario folder (the exchange format)."""
    with tempfile.TemporaryDirectory(prefix="export-") as tmp:
        folder = Path(tmp) / "scenario"
        folder.mkdir()
        export_scenario(engine, folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(Path(tmp)).as_posix())
        return buffer.getvalue()
