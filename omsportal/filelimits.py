"""What one uploaded file may make the portal do: bytes, compression, one record, one value, sheet size, time.

Every reader of an exchange file (lists, the register, stage events, plans; the coming informing and invoice files)
reads through :class:`LimitedStream` and these limits, so a hostile or broken file meets the same bound everywhere:
a zip bomb, a 950 MB text node, an XLSX that declares a billion rows, a file that never ends. A file over a limit is
refused whole with code 901 (:class:`LimitExceeded`), and the message says which limit, its setting and by how much.

The limits are Django settings (defaults in ``omsportal/settings.py``, documented in README "Configuration" and
``docs/formats/limits.md``), read through :func:`file_limits` each time a file is opened, so a test or a region can
change them without a restart of the code that reads them.
"""

from __future__ import annotations

import time
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

from django.conf import settings

# A zipped member this small is never judged by its compression ratio (a few kilobytes of XML compress 100 times).
RATIO_APPLIES_ABOVE_BYTES = 16 * 1024 * 1024
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FileLimits:
    """The limits of one file; see docs/formats/limits.md for what each protects against."""

    max_bytes: int  # OMS_FILE_MAX_BYTES: the file, and each zipped member unpacked
    max_zip_ratio: int  # OMS_ZIP_MAX_RATIO: unpacked size / packed size of a member
    max_zip_members: int  # OMS_ZIP_MAX_MEMBERS: entries of an archive (an XLSX is an archive too)
    max_record_bytes: int  # OMS_FILE_MAX_RECORD_BYTES: one record (XML element, CSV line, sheet row) in bytes
    max_value_chars: int  # OMS_FILE_MAX_VALUE_CHARS: one value (element text, attribute, CSV field, cell)
    max_sheet_rows: int  # OMS_SHEET_MAX_ROWS: rows of a sheet (and the highest row number)
    max_sheet_columns: int  # OMS_SHEET_MAX_COLUMNS: the highest column holding a value
    max_shared_strings: int  # OMS_SHEET_MAX_SHARED_STRINGS: entries of an XLSX shared-strings table
    max_shared_chars: int  # OMS_SHEET_MAX_SHARED_CHARS: characters of all shared strings together
    read_seconds: float  # OMS_FILE_READ_SECONDS: wall-clock time reading one file may take


# name of the FileLimits field -> (setting, default). The defaults are also in settings.py (read from the
# environment there); these stand in when a settings module predates a limit.
SETTINGS = {
    "max_bytes": ("OMS_FILE_MAX_BYTES", 2 * 1024**3),
    "max_zip_ratio": ("OMS_ZIP_MAX_RATIO", 100),
    "max_zip_members": ("OMS_ZIP_MAX_MEMBERS", 1000),
    "max_record_bytes": ("OMS_FILE_MAX_RECORD_BYTES", 1024**2),
    "max_value_chars": ("OMS_FILE_MAX_VALUE_CHARS", 32_768),
    "max_sheet_rows": ("OMS_SHEET_MAX_ROWS", 1_048_576),
    "max_sheet_columns": ("OMS_SHEET_MAX_COLUMNS", 256),
    "max_shared_strings": ("OMS_SHEET_MAX_SHARED_STRINGS", 4_000_000),
    "max_shared_chars": ("OMS_SHEET_MAX_SHARED_CHARS", 64_000_000),
    "read_seconds": ("OMS_FILE_READ_SECONDS", 1800),
}


def file_limits() -> FileLimits:
    """The current limits, from the settings."""
    values = {}
    for name, (setting, default) in SETTINGS.items():
        value = getattr(settings, setting, default)
        values[name] = float(value) if name == "read_seconds" else int(value)
    return FileLimits(**values)


# --- Errors -------------------------------------------------------------------------------------------------------


class BadFile(Exception):
    """The whole file is refused (code 901, or 902 for a header that is not the uploader's), nothing from it is kept.

    The base of every reader's file-level error (lists: ``FileRejected``, XML: ``XmlFileError``, events:
    ``EventsFileError``): services catch this one class. ``message`` is Russian and says where and what to do.
    """

    setting = ""  # for a LimitExceeded: the setting of the limit

    def __init__(self, message: str, *, code: int = 901, line: int | None = None, field: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.line = line
        self.field = field

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_error(cls, error: BadFile):
        """The same problem as this reader's own error class (message, code, line, field and limit kept)."""
        if isinstance(error, cls):
            return error
        converted = cls.__new__(cls)
        BadFile.__init__(converted, error.message, code=error.code, line=error.line, field=error.field)
        converted.setting = error.setting
        return converted


def _group(number: int) -> str:
    return f"{number:,}".replace(",", "\u00a0")


def format_bytes(value: float) -> str:
    """1536 -> '1,5 КБ' (binary units, a Russian decimal comma)."""
    for unit, size in (("ГБ", 1024**3), ("МБ", 1024**2), ("КБ", 1024)):
        if value >= size:
            shown = value / size
            text = f"{shown:.1f}".rstrip("0").rstrip(".") if shown < 100 else f"{shown:.0f}"
            return f"{text.replace('.', ',')}\u00a0{unit}"
    return f"{_group(int(value))}\u00a0байт"


_UNITS = {
    "bytes": format_bytes,
    "chars": lambda v: f"{_group(int(v))}\u00a0симв.",
    "rows": lambda v: f"{_group(int(v))}",
    "count": lambda v: f"{_group(int(v))}",
    "seconds": lambda v: f"{int(v)}\u00a0с",
    "ratio": lambda v: f"{v:.0f}:1",
}


class LimitExceeded(BadFile):
    """A file over one of :class:`FileLimits`: the message names the limit, its setting, the value and the excess."""

    def __init__(
        self,
        what: str,
        *,
        setting: str,
        limit: float,
        actual: float,
        unit: str,
        at_least: bool = False,
        where: str = "",
        hint: str = "",
        line: int | None = None,
        field: str = "",
    ):
        shown = _UNITS[unit]
        ratio = actual / limit if limit else 0
        excess = (f"{ratio:.1f}" if ratio < 10 else f"{ratio:.0f}").replace(".", ",")
        if at_least:  # found while reading: the reading stopped here, the whole would be larger still
            amount = f"прочитано уже {shown(actual)}, предел {shown(limit)} ({setting})"
        else:
            amount = f"{shown(actual)} при пределе {shown(limit)} ({setting})"
        message = f"{where + ': ' if where else ''}{what}: {amount}"
        if ratio >= 1.05:
            message += f", {'не менее чем ' if at_least else ''}в {excess} раза больше"
        message += ". " + (hint or "Файл не загружен.")
        message = message[0].upper() + message[1:]
        super().__init__(message, line=line, field=field)
        self.setting = setting  # type: ignore[misc]
        self.limit = limit
        self.actual = actual


class Deadline:
    """The wall-clock budget of reading one file (OMS_FILE_READ_SECONDS), checked as the file is read."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.started = time.monotonic()
        self._end = self.started + seconds

    def check(self, where: str = "") -> None:
        now = time.monotonic()
        if now > self._end:
            raise LimitExceeded(
                "чтение файла длится дольше допустимого",
                setting="OMS_FILE_READ_SECONDS",
                limit=self.seconds,
                actual=now - self.started,
                unit="seconds",
                at_least=True,
                where=where,
                hint="Файл не загружен: разделите его на части; если файл обычный, сообщите в ТФОМС.",
            )


# --- A guarded byte stream ------------------------------------------------------------------------------------------

# What reading a damaged zip member raises while it is decompressed (a wrong CRC, cut data, a broken deflate stream).
ZIP_DATA_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


class LimitedStream:
    """A binary reader over an upload (or one zipped member) that enforces the limits while it is read.

    - bytes delivered never exceed ``max_bytes`` (a zipped member cannot unpack to more than the limit, whatever
      its header says);
    - one record never exceeds ``max_record_bytes``: the reader of the format calls :meth:`mark_record` after each
      record, so a text node, attribute, comment or nesting that grows without end is stopped while it is read,
      not after it sits in memory;
    - the wall-clock budget is checked on every read;
    - a damaged zip member becomes a 901, not a traceback; ``check_chunk`` (optional) inspects every chunk (the XML
      readers use it to find bytes that contradict the declared encoding).

    It counts bytes (progress) and newlines (the line of a problem found between records).
    """

    def __init__(
        self,
        raw: IO[bytes],
        *,
        limits: FileLimits,
        deadline: Deadline,
        head: bytes = b"",
        name: str = "",
        check_chunk=None,
    ):
        self._raw = raw
        self._head = head
        self.limits = limits
        self.deadline = deadline
        self.name = name
        self.check_chunk = check_chunk
        self.bytes_read = 0
        self.newlines = 0
        self.at_end = False  # the end of the data was reached
        self._mark = 0
        self.record_limit = limits.max_record_bytes

    @property
    def line(self) -> int:
        """The line the reading has reached (1-based)."""
        return self.newlines + 1

    def mark_record(self) -> None:
        """A record ended here: the next one is measured from this point."""
        self._mark = self.bytes_read

    def peek(self, size: int) -> bytes:
        """Read ``size`` bytes under the limits and put them back: the next reads serve them again."""
        data = self.read(size)
        self._head = data + self._head
        self.bytes_read -= len(data)
        self.newlines -= data.count(b"\n")
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        close = getattr(self._raw, "close", None)
        if close is not None:
            close()

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while chunk := self.read(READ_CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        self.deadline.check()
        if self._head:
            chunk, self._head = self._head[:size], self._head[size:]
        else:
            try:
                chunk = self._raw.read(size)
            except NotImplementedError as exc:
                raise BadFile(
                    f"Архив ZIP сжат методом, который портал не читает ({exc}). Упакуйте файл обычным ZIP (Deflate)."
                ) from exc
            except ZIP_DATA_ERRORS as exc:
                where = f" «{self.name}»" if self.name else ""
                raise BadFile(
                    f"Архив ZIP повреждён: данные файла{where} не распаковываются ({type(exc).__name__}: "
                    f"{str(exc)[:100]}). Упакуйте файл заново и загрузите его ещё раз."
                ) from exc
        if not chunk:
            self.at_end = size > 0
            return chunk
        self.bytes_read += len(chunk)
        if self.bytes_read > self.limits.max_bytes:
            raise LimitExceeded(
                "размер файла после распаковки больше допустимого",
                setting="OMS_FILE_MAX_BYTES",
                limit=self.limits.max_bytes,
                actual=self.bytes_read,
                unit="bytes",
                at_least=True,
                where=f"Файл «{self.name}»" if self.name else "",
            )
        if self.record_limit and self.bytes_read - self._mark > self.record_limit:
            raise LimitExceeded(
                "одна запись (элемент с содержимым, строка) длиннее допустимого",
                setting="OMS_FILE_MAX_RECORD_BYTES",
                limit=self.record_limit,
                actual=self.bytes_read - self._mark,
                unit="bytes",
                at_least=True,
                where=f"Около строки {self.line}",
                hint="Файл не загружен: в записи огромное значение или не закрыт элемент.",
                line=self.line,
            )
        self.newlines += chunk.count(b"\n")
        if self.check_chunk is not None:
            self.check_chunk(chunk, self)
        return chunk

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
