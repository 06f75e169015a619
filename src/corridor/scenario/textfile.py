"""Reading one input file as text: the single place where encodings, symlinks and size are checked.

Every scenario and Flee file goes through `read_text`, so every reader accepts the same things
(UTF-8 with or without a byte-order mark, LF or CRLF line endings) and refuses the same things
(other encodings, files that are not regular files, symbolic links leading out of the folder),
each with a `Problem` that says what to do. An error never quotes the content of a refused file.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from corridor.errors import Problem

MAX_FILE_BYTES = 1 << 30  # 1 GiB: far above any real scenario file; a guard against /dev/zero


def read_text(path: Path, label: str, problems: list[Problem],
              folder: Path | None = None) -> str | None:
    """Return a file's text, or None after recording a problem naming `label`.

    Args:
        path: The file.
        label: The name used in problem reports (e.g. `places.csv`).
        problems: List that problems are appended to.
        folder: The folder the file must stay inside (default: the file's own folder). A
            symbolic link whose target lies outside it is refused.

    Returns:
        The text with a leading byte-order mark removed and CRLF / CR line ends made LF.
    """
    path = Path(path)
    inside = Path(folder) if folder is not None else path.parent
    try:
        if not path.exists() and not path.is_symlink():
            problems.append(Problem(label, None, None, f"file not found: {path}"))
            return None
        target = path.resolve()
        if not target.is_relative_to(inside.resolve()):
            problems.append(Problem(label, None, None, "is a symbolic link to a file outside "
                                    "the scenario folder; copy the file into the folder instead"))
            return None
        if not target.is_file():
            problems.append(Problem(label, None, None, "is not a regular file (a folder, device "
                                    "or broken link); expected a text file"))
            return None
        if target.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(label, None, None, f"is larger than {MAX_FILE_BYTES >> 30} "
                                    "GiB; no scenario file is that large (is it the right file?)"))
            return None
        data = target.read_bytes()
    except OSError as err:
        problems.append(Problem(label, None, None, f"cannot be read: {err.strerror or err}"))
        return None
    return decode(data, label, problems)


def decode(data: bytes, label: str, problems: list[Problem]) -> str | None:
    """Decode UTF-8 bytes (byte-order mark tolerated) and normalise line ends to LF.

    Returns:
        The text, or None after recording a problem that says how to fix the encoding.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        problems.append(Problem(label, None, None, "is UTF-16 text; save it as UTF-8 (in a "
                                "spreadsheet: CSV UTF-8)"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        byte = data[err.start]
        problems.append(Problem(label, line, None, f"is not UTF-8 text (byte 0x{byte:02x} on "
                                f"line {line}); save the file as UTF-8"))
        return None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        problems.append(Problem(label, line, None, f"contains a NUL character on line {line}; "
                                "is it a text file?"))
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")
