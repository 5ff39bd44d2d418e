"""One interface for every reader of a list file (ZL_LIST): the header, then one record per measure line.

A reader (:class:`ListReader`) turns a file into the same :class:`ListRecord` objects whatever the format:
XML (UTF-8 or windows-1251 as declared), CSV (UTF-8 with BOM or windows-1251, ``;``) and XLSX, each also inside
a ``.zip``. :func:`open_list_file` sniffs the content (never trusts the name) and picks the reader from
:data:`READERS`, so a regional variant of the XML is a small separate reader registered with
:func:`register_reader`. File-level problems raise :class:`FileRejected` (901/902 of formats.md) with a Russian
message naming the line; record-level problems are the validator's business (screening.formats.validation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Protocol

from omsportal.filelimits import BadFile, LimitedStream
from omsportal.safefiles import HEAD_BYTES, open_upload

__all__ = ["HEAD_BYTES", "FileRejected", "ListHeader", "ListReader", "ListRecord", "Sniffed", "open_list_file"]


class FileRejected(BadFile):
    """The whole file is rejected (901: unreadable / not the schema / over a limit; 902: header does not match the
    uploader). Every file-level error of the shared readers (omsportal.filelimits.BadFile) is one of these too."""

    def __init__(self, code: int, message: str, *, field: str = "", line: int | None = None):
        super().__init__(message, code=code, line=line, field=field)


@dataclass(slots=True)
class ListHeader:
    """ZGLV of the list (for CSV/XLSX: the CODE_MO and YEAR columns, empty when the file has none)."""

    code_mo: str = ""
    year: str = ""
    filename: str = ""
    version: str = ""
    date: str = ""


@dataclass(slots=True)
class ListRecord:
    """One measure line of a person record: raw stripped strings exactly as written in the file.

    An XML SV_PR_MER with two SV_PL_MER gives two records with the same ``group``; a CSV/XLSX row is one record
    (rows of one person share N_ZAP). ``has_measure`` is False for a person record with no SV_PL_MER at all.
    """

    group: int
    line: int | None
    n_zap: str = ""
    enp: str = ""
    snils: str = ""
    fam: str = ""
    im: str = ""
    ot: str = ""
    w: str = ""
    dr: str = ""
    uch: str = ""
    tel: str = ""
    disp: str = ""
    month: str = ""
    kv: str = ""
    iddokt: str = ""
    has_measure: bool = True
    # A dialect whose files carry no period at all (no month, no quarter: Ufa), or no sex (Pskov): not required.
    period_free: bool = False
    sex_free: bool = False


PERSON_FIELDS = ("N_ZAP", "ENP", "SNILS", "FAM", "IM", "OT", "W", "DR", "UCH", "TEL")
MEASURE_FIELDS = ("DISP", "MONTH", "KV", "IDDOKT")


class ListReader(Protocol):
    """What every list reader offers: its format name (and MIS dialect, '' for the canonical ZL_LIST), the header,
    the records, and bytes read for progress."""

    format: str
    dialect: str

    def header(self) -> ListHeader: ...

    def records(self) -> Iterator[ListRecord]: ...

    @property
    def bytes_total(self) -> int: ...

    @property
    def bytes_read(self) -> int: ...


@dataclass
class Sniffed:
    """An opened upload: the (unzipped) binary stream, its size, the first bytes, and the member name if zipped.

    ``stream`` is an :class:`omsportal.filelimits.LimitedStream` (it enforces the limits and counts bytes) for XML and
    CSV, and a seekable file for XLSX (``extra["xlsx"]``); ``upload`` is the :class:`omsportal.safefiles.Upload`.
    """

    stream: IO[bytes] | LimitedStream
    size: int
    head: bytes
    member_name: str = ""
    extra: dict = field(default_factory=dict)
    upload: object = None
    name: str = ""


ReaderFactory = Callable[[Sniffed], ListReader]
# name → (detector, factory); tried in order, the first detector that says yes wins.
READERS: list[tuple[str, Callable[[Sniffed], bool], ReaderFactory]] = []


def register_reader(name: str, detect: Callable[[Sniffed], bool], factory: ReaderFactory, *, first: bool = True):
    """Add a reader; a regional variant registers itself first so it wins over the canonical one."""
    entry = (name, detect, factory)
    READERS[:] = [r for r in READERS if r[0] != name]
    if first:
        READERS.insert(0, entry)
    else:
        READERS.append(entry)


@contextmanager
def open_list_file(
    fileobj: IO[bytes], *, name: str = "", dialects: tuple[str, ...] | None = None
) -> Iterator[ListReader]:
    """Open an uploaded list (seekable binary) and yield the reader for its format, or raise FileRejected(901).

    The content decides (omsportal.safefiles.open_upload): XML, CSV or XLSX, each also alone in a zip; everything
    else, and every limit of omsportal.filelimits, is a 901 with a Russian reason. A regional MIS dialect
    (screening.formats.dialects) is recognized first, from the root, the header and ``name``; ``dialects`` are the
    ones the region accepts (None: every readable one).
    """
    _ensure_default_readers()
    try:
        with open_upload(fileobj) as upload:
            xlsx = upload.kind == "xlsx"
            sniffed = Sniffed(
                stream=upload.file if xlsx else upload.stream,
                size=upload.size,
                head=upload.head,
                member_name=upload.member_name,
                extra={"xlsx": xlsx, "kind": upload.kind},
                upload=upload,
                name=name,
            )
            yield _pick(sniffed, dialects)
    except BadFile as exc:
        raise FileRejected.from_error(exc) from exc


def _pick(sniffed: Sniffed, dialects: tuple[str, ...] | None = None) -> ListReader:
    from .dialects import recognize

    reader = recognize(sniffed, accepted=dialects)
    if reader is not None:
        return reader
    for _name, detect, factory in READERS:
        if detect(sniffed):
            return factory(sniffed)
    raise FileRejected(901, "Формат файла не распознан: ожидается XML, CSV или XLSX (можно в архиве ZIP).")


_defaults_loaded = False


def _ensure_default_readers() -> None:
    global _defaults_loaded
    if _defaults_loaded:
        return
    _defaults_loaded = True
    from . import zl_list_tabular, zl_list_xml

    # Canonical readers go last, so a regional variant registered with first=True is tried before them.
    zl_list_xml.register()
    zl_list_tabular.register()
