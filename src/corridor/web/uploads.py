"""An uploaded, zipped scenario folder: size-limited, unpacked safely, validated, deleted.

The zip is unpacked only inside a fresh temporary folder: a member with an absolute path, a
`..` part, a drive letter, a symbolic link or a special file refuses the whole upload, as do
too many members or too many bytes once unpacked. The folder is loaded like `corridor check`
loads one (every problem named by file, row and field) and deleted before returning; the
scenario keeps its files' text in memory.
"""

from __future__ import annotations

import base64
import binascii
import io
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from corridor.errors import Problem, ScenarioError
from corridor.scenario import Scenario

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # the zip itself
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 200


def _refuse(name: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(name, None, None, message)])


def decode(contents: str | None, filename: str, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """Decode a `dcc.Upload` data URL (`data:…;base64,…`) to bytes, refusing large ones."""
    if not contents or "," not in contents:
        raise _refuse(filename or "upload", "no file content received")
    payload = contents.split(",", 1)[1]
    if len(payload) * 3 // 4 > limit:
        raise _refuse(filename, f"is larger than the upload limit of {limit // 1024:,} KiB")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as err:
        raise _refuse(filename, f"could not be decoded ({err})") from None
    if len(data) > limit:
        raise _refuse(filename, f"is larger than the upload limit of {limit // 1024:,} KiB")
    return data


def _check_member(info: zipfile.ZipInfo, zip_name: str) -> str | None:
    """Return why a zip member is refused, or None."""
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"{name} is a symbolic link; links are not accepted"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return f"{name} is not a plain file or folder"
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return f"{name} has an absolute path"
    if ".." in path.parts:
        return f"{name} points outside the folder (..)"
    return None


def unpack(data: bytes, filename: str, into: Path,
           max_unpacked: int = MAX_UNPACKED_BYTES, max_members: int = MAX_MEMBERS) -> Path:
    """Unpack a zip into `into` (an empty folder) after checking every member.

    Returns:
        The folder holding `scenario.toml` (the zip's root or its single top folder).

    Raises:
        ScenarioError: The file is not a zip, or a member is unsafe, or it is too large.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as err:
        raise _refuse(filename, f"is not a zip file ({err})") from None
    with archive:
        members = archive.infolist()
        if len(members) > max_members:
            raise _refuse(filename, f"holds {len(members)} files; at most {max_members} accepted")
        problems = [Problem(filename, None, None, why) for info in members
                    if (why := _check_member(info, filename))]
        if problems:
            raise ScenarioError(problems)
        total = sum(info.file_size for info in members)
        if total > max_unpacked:
            raise _refuse(filename, f"unpacks to {total:,} bytes; at most {max_unpacked:,}")
        root = into.resolve()
        written = 0
        for info in members:
            target = (root / info.filename).resolve()
            if root != target and root not in target.parents:
                raise _refuse(filename, f"{info.filename} points outside the folder")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "xb") as dst:
                while chunk := src.read(1 << 16):  # the header's size may lie: count bytes
                    written += len(chunk)
                    if written > max_unpacked:
                        raise _refuse(filename, f"unpacks to more than {max_unpacked:,} bytes")
                    dst.write(chunk)
    found = sorted(p.parent for p in root.rglob("scenario.toml") if not p.is_symlink())
    if not found:
        raise _refuse(filename, "holds no scenario.toml (zip a scenario folder)")
    if len(found) > 1:
        raise _refuse(filename, "holds more than one scenario.toml; zip one scenario folder")
    return found[0]


def load_upload(contents: str | None, filename: str,
                limit: int = MAX_UPLOAD_BYTES) -> Scenario:
    """Decode, unpack, validate and delete an uploaded scenario zip.

    Raises:
        ScenarioError: With every problem found (file, row and field), as `corridor check`.
    """
    from corridor.scenario import load_scenario

    data = decode(contents, filename, limit)
    tmp = Path(tempfile.mkdtemp(prefix="corridor-upload-"))
    try:
        folder = unpack(data, filename, tmp)
        return load_scenario(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
