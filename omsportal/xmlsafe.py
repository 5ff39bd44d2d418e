"""Safe streaming of uploaded XML exchange files: zip or plain, UTF-8 or windows-1251, no DTD, no entities, bounded.

Every exchange format (REGISTER, ZL_LIST, EVENTS, the parts of an XLSX, ...) reads its file through
:func:`open_xml` / :func:`iter_records` (or :func:`safe_iterparse` for a part of a workbook):

- the file is opened by :func:`omsportal.safefiles.open_upload` (content sniffing, a ``.zip`` with one file, the
  limits on size, compression ratio and members of :mod:`omsportal.filelimits`);
- the encoding is the one the XML declaration names; only UTF-8 and windows-1251 are accepted [formats.md]. UTF-16
  or UTF-32, with a BOM or without, is refused; a file that declares windows-1251 but whose bytes are UTF-8 (and the
  other way round) is refused rather than loaded as mojibake;
- any ``<!DOCTYPE`` / ``<!ENTITY`` is refused before lxml sees the body (XXE, billion laughs), and lxml runs with
  entity resolution, DTD loading and network access off, and without ``huge_tree``, as a second line; XInclude is
  never processed;
- one record may not grow past OMS_FILE_MAX_RECORD_BYTES while it is read, one value past OMS_FILE_MAX_VALUE_CHARS,
  reading past OMS_FILE_READ_SECONDS; elements are cleared as soon as the caller has read them;
- problems become :class:`XmlFileError` (code 901) with a Russian message naming the line and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from lxml import etree

from omsportal.filelimits import BadFile, LimitedStream, LimitExceeded
from omsportal.safefiles import HEAD_BYTES, open_upload, utf8_russian, wide_encoding, wide_encoding_message

__all__ = ["HEAD_BYTES", "XmlFileError", "XmlSource", "check_prolog", "child_texts", "iter_records", "open_xml"]

ALLOWED_ENCODINGS = {"utf-8": "UTF-8", "utf8": "UTF-8", "windows-1251": "windows-1251", "cp1251": "windows-1251"}
# lxml reads a file-like object 32 KiB at a time: a value longer than this spans two reads (see _check_values).
LXML_READ_BYTES = 32 * 1024

_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml\s[^>]*?\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_ROOT_START = re.compile(rb"<[A-Za-z_\x80-\xff]")
_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "dtd_validation": False,
    "huge_tree": False,  # libxml2's own bounds stay on (text nodes of 10 MB, nesting of 256 levels)
    "remove_comments": True,
    "remove_pis": True,
}


class XmlFileError(BadFile):
    """The whole file is rejected (FLK code 901): not a readable, well-formed, DTD-free XML file."""

    def __init__(self, message: str, *, line: int | None = None, code: int = 901, field: str = ""):
        super().__init__(message, code=code, line=line, field=field)


@dataclass
class XmlSource:
    """An opened XML file: the guarded byte stream for the parser, its size and, for a zip, the member's name."""

    stream: LimitedStream
    size: int
    encoding: str
    member_name: str = ""

    @property
    def bytes_read(self) -> int:
        return self.stream.bytes_read


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def check_prolog(head: bytes) -> str:
    """Check the file start: a supported encoding and no DOCTYPE/ENTITY declarations. Returns the encoding."""
    wide = wide_encoding(head)
    if wide:
        raise XmlFileError(wide_encoding_message(wide), line=1)
    encoding = "UTF-8"
    declaration = _DECLARATION.match(head)
    if declaration:
        found = _ENCODING.search(declaration.group(0))
        if found:
            declared = found.group(1).decode("ascii").lower()
            if declared not in ALLOWED_ENCODINGS:
                raise XmlFileError(
                    f"Кодировка «{found.group(1).decode('ascii')}», указанная в объявлении XML, не поддерживается: "
                    "допустимы UTF-8 и windows-1251. Сохраните файл в одной из них.",
                    line=1,
                )
            encoding = ALLOWED_ENCODINGS[declared]
    if encoding != "UTF-8" and head.startswith(b"\xef\xbb\xbf"):
        raise XmlFileError(
            f"Файл начинается с метки UTF-8 (BOM), а в объявлении XML указана кодировка {encoding}. Укажите "
            'encoding="UTF-8" или сохраните файл в windows-1251 без метки.',
            line=1,
        )
    root = _ROOT_START.search(head)
    prolog = head[: root.start()] if root else head
    forbidden = _FORBIDDEN.search(prolog)
    if forbidden:
        raise XmlFileError(
            f"Строка {_line_of(prolog, forbidden.start())}: файл содержит объявление "
            f"<!{forbidden.group(1).decode('ascii').upper()}>. Объявления DTD и сущностей запрещены, "
            "файл не загружен.",
            line=_line_of(prolog, forbidden.start()),
        )
    return encoding


def encoding_guard(encoding: str):
    """A chunk check for :class:`LimitedStream`: bytes of a file declared windows-1251 must not be UTF-8 Russian.

    (The other way round, windows-1251 bytes in a UTF-8 file, libxml2 finds itself; see :func:`syntax_error_message`.)
    """
    if encoding != "windows-1251":
        return None

    def check(chunk: bytes, stream: LimitedStream) -> None:
        if not chunk.isascii() and utf8_russian(chunk):
            raise XmlFileError(
                f"Около строки {stream.line}: в объявлении XML указана кодировка windows-1251, а текст записан в "
                'UTF-8 — загрузка дала бы «кракозябры» вместо имён. Укажите encoding="UTF-8" в объявлении или '
                "сохраните файл в windows-1251.",
                line=stream.line,
            )

    return check


@contextmanager
def open_xml(fileobj: IO[bytes], *, size: int | None = None) -> Iterator[XmlSource]:
    """Open a seekable binary upload (plain XML or a zip with one XML file) for safe streaming."""
    del size  # the size is the stored file's (or the member's), measured by open_upload
    try:
        with open_upload(fileobj, accept=("xml",)) as upload:
            yield xml_source(upload.stream, head=upload.head, size=upload.size, member_name=upload.member_name)
    except BadFile as exc:
        raise XmlFileError.from_error(exc) from exc


def xml_source(stream: LimitedStream, *, head: bytes, size: int, member_name: str = "") -> XmlSource:
    """An XmlSource over a guarded stream whose first bytes are ``head``: the prolog checked, the encoding guarded."""
    if not head.strip():
        raise XmlFileError("Файл пуст.")
    encoding = check_prolog(head)
    stream.check_chunk = encoding_guard(encoding)
    return XmlSource(stream=stream, size=size, encoding=encoding, member_name=member_name)


# --- Syntax errors in Russian ----------------------------------------------------------------------------------------

_T = etree.ErrorTypes
_AMP_FIX = "знак «&» в тексте записывается как «&amp;»"


def _explain(code: int, msg: str, encoding: str) -> str:
    if code == _T.ERR_UNDECLARED_ENTITY:
        name = re.search(r"Entity '([^']*)'", msg)
        shown = f"«&{name.group(1)};»" if name else "на сущность"
        return (
            f"ссылка {shown} на сущность, которая нигде не объявлена: в файле допустимы только &amp;, &lt;, &gt;, "
            f"&quot;, &apos; и числовые ссылки (&#1234;); {_AMP_FIX}"
        )
    if code in (_T.ERR_ENTITYREF_SEMICOL_MISSING,) or "EntityRef" in msg:
        return f"знак «&» не образует ссылку; {_AMP_FIX}"
    if code == _T.ERR_TAG_NAME_MISMATCH:
        names = re.search(r"mismatch: (\S+) line (\d+) and (\S+)", msg)
        if names:
            return (
                f"элемент <{names.group(1)}>, открытый в строке {names.group(2)}, закрыт тегом </{names.group(3)}>"
            )
        return "закрывающий тег не совпадает с открытым"
    if code == _T.ERR_TAG_NOT_FINISHED:
        names = re.search(r"in tag (\S+) line (\d+)", msg)
        opened = f" (элемент <{names.group(1)}> из строки {names.group(2)} не закрыт)" if names else ""
        return f"файл обрывается{opened}: похоже, он передан не полностью — загрузите его снова"
    if code in (_T.ERR_DOCUMENT_END, _T.ERR_EXTRA_CONTENT):
        return "после закрытия корневого элемента есть ещё данные (два документа в одном файле?)"
    if code in (_T.ERR_DOCUMENT_EMPTY, _T.ERR_DOCUMENT_START):
        return "файл не содержит XML-документа"
    if code in (_T.ERR_INVALID_CHAR, _T.ERR_INVALID_CHARREF):
        return "символ, недопустимый в XML (управляющий символ или ссылка вида &#0;); удалите его"
    if code == _T.ERR_INVALID_ENCODING:
        other = "windows-1251" if encoding == "UTF-8" else "UTF-8"
        return (
            f"байты не соответствуют кодировке {encoding} (указана в объявлении XML или принята по умолчанию); похоже, "
            f'файл в {other}. Укажите в объявлении encoding="{other}" или сохраните файл в {encoding}'
        )
    if code == _T.ERR_RESOURCE_LIMIT or "XML_PARSE_HUGE" in msg:
        if "depth" in msg:
            return "вложенность элементов глубже 256 уровней — такой файл не разбирается"
        return "одно значение длиннее 10 000 000 байт — предел разбора XML"
    if code == _T.ERR_RESERVED_XML_NAME:
        return "объявление <?xml …?> стоит не в начале файла (перед ним есть символы, или файл склеен из нескольких)"
    if code in (_T.ERR_COMMENT_NOT_FINISHED, _T.ERR_CDATA_NOT_FINISHED, _T.ERR_PI_NOT_FINISHED):
        return "комментарий или раздел CDATA не закрыт — файл обрывается"
    if code in (
        _T.ERR_STRING_NOT_CLOSED,
        _T.ERR_STRING_NOT_STARTED,
        _T.ERR_LT_IN_ATTRIBUTE,
        _T.ERR_ATTRIBUTE_NOT_STARTED,
        _T.ERR_ATTRIBUTE_WITHOUT_VALUE,
        _T.ERR_ATTRIBUTE_REDEFINED,
    ):
        return "ошибка в атрибуте элемента (кавычки, знак «<» или повтор атрибута)"
    if "StartTag: invalid element name" in msg or code in (_T.ERR_NAME_REQUIRED,):
        return "знак «<» не начинает тег; в тексте он записывается как «&lt;»"
    if code in (_T.ERR_GT_REQUIRED, _T.ERR_LT_REQUIRED, _T.ERR_LTSLASH_REQUIRED, _T.ERR_SPACE_REQUIRED):
        return "ошибка в разметке тега (нет «>» или «<»)"
    if code == _T.NS_ERR_UNDEFINED_NAMESPACE:
        return "префикс пространства имён не объявлен"
    return "файл не является корректным XML"


def syntax_error_message(
    exc: etree.XMLSyntaxError, *, encoding: str = "UTF-8", part: str = "", stream: LimitedStream | None = None
) -> tuple[str, int]:
    """A Russian message for an lxml syntax error and its line; the parser's own words follow in parentheses."""
    code, msg, line, column = exc.code, exc.msg or "", exc.lineno or 0, exc.position[1] if exc.position else 0
    if code == _T.ERR_INTERNAL_ERROR or not line:
        # lxml reports some errors found on the way (an undeclared entity) only at the end, as "no element found";
        # the parser's log keeps the first real one.
        for entry in exc.error_log:
            if entry.level_name in ("ERROR", "FATAL"):
                code, msg, line, column = entry.type, entry.message, entry.line, entry.column
                break
    msg = re.sub(r", line \d+, column \d+$", "", msg)
    where = f"строка {line}" if line else "начало файла"
    if column and line:
        where += f", позиция {column}"
    prefix = f"{part}: о" if part else "О"
    explained = _explain(code, msg, encoding)
    if stream is not None and stream.at_end and line >= stream.line - 1 and code != _T.ERR_TAG_NOT_FINISHED:
        explained += " — это последняя строка: похоже, файл обрывается (передан не полностью)"
    return f"{prefix}шибка XML ({where}): {explained}. Файл не загружен. (Разбор XML: {msg[:200]})", line


def safe_iterparse(stream, *, tag, events=("end",), encoding: str | None = None, remove_blank_text: bool = False):
    """lxml's iterparse over a guarded stream with every safe option (no DTD, entities, network, huge trees).

    ``encoding`` overrides the declared one (the stream is re-encoded: :class:`Cp1251AsUtf8`); ``remove_blank_text``
    drops the whitespace-only text between elements (the indentation of a record format) instead of storing it."""
    etree.clear_error_log()
    return etree.iterparse(
        stream, events=events, tag=tag, encoding=encoding, remove_blank_text=remove_blank_text, **_PARSER_OPTIONS
    )


class Cp1251AsUtf8:
    """The guarded stream of a file declared windows-1251, re-encoded as UTF-8 for the parser (which is told so).

    Python's decoder does this in one C loop at a fraction of the cost of libxml2's iconv conversion (a regional MIS
    export is twice the bytes of the canonical file, and the conversion was a seventh of its parse). The stream
    underneath still sees every raw byte: the limits, the byte and line counts and the encoding guard (UTF-8 bytes in a
    file declared windows-1251) are unchanged. A byte windows-1251 does not have (0x98) is a 901 naming its line.
    """

    def __init__(self, stream: LimitedStream):
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        try:
            return chunk.decode("cp1251").encode("utf-8")
        except UnicodeDecodeError as exc:
            line = self._stream.line - chunk.count(b"\n", exc.start)
            raise XmlFileError(
                f"Ошибка XML (строка {line}): байт 0x{chunk[exc.start]:02X} не существует в кодировке windows-1251, "
                "указанной в объявлении XML: файл повреждён или записан в другой кодировке. Сохраните его в "
                "windows-1251 или UTF-8 и укажите её в объявлении. Файл не загружен.",
                line=line,
            ) from exc


def _check_values(element: etree._Element, limit: int) -> None:
    for item in element.iter():
        for value, what in ((item.text, "текст"), (item.tail, "текст после")):
            if value is not None and len(value) > limit:
                _value_too_long(item, len(value), limit, what)
        for name, value in item.attrib.items():
            if len(value) > limit:
                _value_too_long(item, len(value), limit, f"атрибут {name}")


def _value_too_long(item: etree._Element, length: int, limit: int, what: str) -> None:
    tag = item.tag if isinstance(item.tag, str) else "?"
    raise LimitExceeded(
        f"значение элемента <{tag}> ({what}) длиннее допустимого",
        setting="OMS_FILE_MAX_VALUE_CHARS",
        limit=limit,
        actual=length,
        unit="chars",
        where=f"Строка {item.sourceline}",
        line=item.sourceline,
        field=tag,
    )


def iter_records(source: XmlSource, *, root: str, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Yield each child of the root element named in ``tags`` when it is complete; it is freed after the caller
    moves on (as is every other child of the root).

    Raises :class:`XmlFileError` for a wrong root element, a DOCTYPE, a well-formedness error or a limit.

    iterparse reports the start of the root and of each record: at each, the root's children but the last (which may
    still be open) are complete. Start events only: lxml then wraps libxml2's start callback alone, where end events
    add a second callback, taking the GIL, for every element of the file (a MIS record has twenty); at 10,000 Perm
    records the upload's producer thread runs 110 million instructions fewer (of 2,910), the canonical one's 35.
    """
    stream = source.stream
    limit = stream.limits.max_value_chars
    check_every_record = limit < LXML_READ_BYTES
    # The indentation between elements is dropped by the parser (a record format has no mixed content; a value
    # that is only blanks, <OT> </OT>, is kept), and windows-1251 is re-encoded in Python (Cp1251AsUtf8).
    events, watched = ("start",), (root, *tags)
    if source.encoding == "windows-1251":
        context = safe_iterparse(
            Cp1251AsUtf8(stream), tag=watched, events=events, encoding="UTF-8", remove_blank_text=True
        )
    else:
        context = safe_iterparse(stream, tag=watched, events=events, remove_blank_text=True)
    wanted = frozenset(tags)
    top = None  # the root element, once it has started
    checked = False
    last_read = stream.bytes_read

    def complete(final: bool) -> Iterator[etree._Element]:
        nonlocal checked, last_read
        children = list(top)
        if children and not final:
            children.pop()  # may still be open
        if not checked and (children or final):
            _check_tree(top.getroottree(), root)  # when the first child is complete, as an end event would
            checked = True
        for element in children:
            if element.tag in wanted:
                # A value longer than the limit makes its record span more than one 32 KiB read of the parser:
                # only such records (one in many) are walked (unless the limit is set below one read).
                if check_every_record or stream.bytes_read != last_read:
                    _check_values(element, limit)
                    last_read = stream.bytes_read
                stream.mark_record()
                yield element
            # Free what has been read.
            element.clear(keep_tail=False)
            del top[0]

    try:
        for _event, element in context:
            if top is None:
                top = element.getroottree().getroot()
            yield from complete(final=False)
        if top is None:
            if context.root is None:
                raise XmlFileError("Файл не содержит XML-документа.")
            top = context.root
        yield from complete(final=True)
    except etree.XMLSyntaxError as exc:
        message, line = syntax_error_message(exc, encoding=source.encoding, stream=stream)
        raise XmlFileError(message, line=line) from exc


def _check_tree(tree: etree._ElementTree, root: str) -> None:
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlFileError(
            "Файл содержит объявление <!DOCTYPE>. Объявления DTD и сущностей запрещены, файл не загружен."
        )
    actual = tree.getroot().tag
    if actual != root:
        shown = actual if isinstance(actual, str) else "?"
        raise XmlFileError(f"Корневой элемент файла <{shown[:60]}>, ожидался <{root}>. Файл не загружен.", line=1)


def child_texts(element: etree._Element) -> dict[str, str]:
    """Stripped text of each direct child, by tag (the last one wins); an empty element gives ''."""
    return {child.tag: (child.text or "").strip() for child in element if isinstance(child.tag, str)}
