"""Hostile and broken files, class by class, through every reader (lists, register, stage events, plan): bounded time
and memory (each limit asserted by its error, never by a timing), and a clear Russian 901 for every bad file.

The files are small and generated (tests/hostile.py): the XLSX dimension bomb is a few kilobytes, the compression
bomb is compressed while it is written; limits are lowered through the settings where a real-size file would be big.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from omsportal.filelimits import BadFile, LimitExceeded, file_limits
from omsportal.safefiles import CsvRows, ascii_digits, open_upload, positive_int
from omsportal.sheets import SheetReader
from omsportal.xmlsafe import open_xml
from participants.formats.register import RegisterReader
from screening.formats.events import EventsReader
from screening.formats.lists import open_list_file
from screening.formats.plans import PlanFileError, read_plan_xlsx
from tests import hostile

LIST_HEADER = (
    '<?xml version="1.0" encoding="{enc}"?><ZL_LIST><ZGLV><VERSION>1.0</VERSION><DATA>2026-12-20</DATA>'
    "<FILENAME>F</FILENAME><CODE_MO>270001</CODE_MO><YEAR>2027</YEAR></ZGLV>"
)
RECORD = (
    "<SV_PR_MER><N_ZAP>{n}</N_ZAP><ENP>2755000000000011</ENP><FAM>{fam}</FAM><IM>Иван</IM><W>1</W>"
    "<DR>1970-01-01</DR><SV_PL_MER><DISP>ДВН</DISP><MONTH>3</MONTH></SV_PL_MER></SV_PR_MER>"
)
CSV_HEADER = "N_ZAP;ENP;SNILS;FAM;IM;OT;W;DR;DISP;MONTH\r\n"
CSV_ROW = "{n};;;{fam};Иван;;1;1970-01-01;ДВН;3\r\n"
SHEET_HEADER = ["N_ZAP", "ENP", "FAM", "IM", "W", "DR", "DISP", "MONTH"]


def zl(records: str = "", *, enc: str = "UTF-8", fam: str = "Тестов") -> str:
    return LIST_HEADER.format(enc=enc) + (records or RECORD.format(n=1, fam=fam)) + "</ZL_LIST>"


def csv_text(rows: int = 3, *, fam: str = "Тестов") -> str:
    return CSV_HEADER + "".join(CSV_ROW.format(n=n, fam=fam) for n in range(1, rows + 1))


def good_sheet(rows: int = 1) -> bytes:
    body = hostile.inline_row(1, SHEET_HEADER) + "".join(
        hostile.inline_row(n + 1, [str(n), "", "Тестов", "Иван", "1", "1970-01-01", "ДВН", "3"])
        for n in range(1, rows + 1)
    )
    return hostile.xlsx(hostile.sheet(body))


# --- the four readers, as the services call them -----------------------------------------------------------------


def read_list(data: bytes) -> int:
    with open_list_file(io.BytesIO(data)) as reader:
        reader.header()
        return sum(1 for _ in reader.records())


def read_events(data: bytes) -> int:
    return sum(1 for _ in EventsReader(io.BytesIO(data)).records())


def read_register(data: bytes) -> int:
    with open_xml(io.BytesIO(data)) as source:
        return sum(1 for _ in RegisterReader(source))


def read_plan(data: bytes) -> None:
    try:
        read_plan_xlsx(io.BytesIO(data), mo_ids_by_code={})
    except PlanFileError as exc:  # the plan reader answers with a list of messages, as its page shows them
        if isinstance(exc.__cause__, BadFile):
            assert exc.messages == [exc.__cause__.message]
            raise exc.__cause__ from None
        raise BadFile(" ".join(exc.messages)) from exc


READERS = {"list": read_list, "events": read_events, "register": read_register, "plan": read_plan}


def refused(reader, data: bytes) -> BadFile:
    with pytest.raises(BadFile) as caught:
        reader(data)
    caught.value.message = caught.value.message.replace("\u00a0", " ")  # numbers are grouped with no-break spaces
    message = caught.value.message
    assert caught.value.code == 901
    assert "Traceback" not in message and message[0].isupper()
    return caught.value


# --- Time and memory are bounded ---------------------------------------------------------------------------------


def test_the_xlsx_dimension_bomb_is_refused_by_the_row_limit_without_reading_a_billion_rows():
    bomb = hostile.dimension_bomb()  # <dimension ref="A1:ZZZ999999999"/> and one cell in row 999 999 999
    assert len(bomb) < 8 * 1024
    error = refused(read_list, bomb)
    assert isinstance(error.__cause__, LimitExceeded) and error.setting == "OMS_SHEET_MAX_ROWS"
    assert "999 999 999" in error.message and "1 048 576" in error.message and "раза больше" in error.message


def test_a_declared_dimension_is_never_read_only_the_cells_that_exist():
    # A1:XFD1048576 with one cell in the last row: read as two rows, the header and row 1 048 576.
    bomb = hostile.dimension_bomb(last_row=1_048_576, dimension="A1:XFD1048576")
    with SheetReader(io.BytesIO(bomb)) as sheet:
        assert [number for number, _values in sheet.rows()] == [1, 1_048_576]
    far = hostile.dimension_bomb(last_row=5, dimension="A1:XFD1048576", column="XFD")
    error = refused(read_list, far)
    assert error.setting == "OMS_SHEET_MAX_COLUMNS" and "XFD" in error.message and "16 384" in error.message


def test_the_sheet_row_limit_counts_rows_not_only_row_numbers(settings):
    settings.OMS_SHEET_MAX_ROWS = 3
    error = refused(read_list, good_sheet(rows=5))
    assert error.setting == "OMS_SHEET_MAX_ROWS"


@pytest.mark.parametrize("reader", ["list", "events", "register", "plan"])
def test_a_compression_bomb_is_refused_from_its_header_before_it_is_unpacked(reader):
    bomb = hostile.zip_bomb(300 * 1024 * 1024)  # 300 MB of markup and spaces in a few hundred kilobytes
    assert len(bomb) < 1024 * 1024
    error = refused(READERS[reader], bomb)
    assert error.setting == "OMS_ZIP_MAX_RATIO" and "100:1" in error.message


def test_an_unpacked_size_over_the_limit_is_refused(settings):
    settings.OMS_FILE_MAX_BYTES = 64 * 1024
    packed = hostile.zip_of({"list.xml": zl("".join(RECORD.format(n=n, fam="Тестов") for n in range(1, 400)))})
    error = refused(read_list, packed)
    assert error.setting == "OMS_FILE_MAX_BYTES" and "64 КБ" in error.message
    plain = zl("".join(RECORD.format(n=n, fam="Тестов") for n in range(1, 400))).encode()
    assert refused(read_list, plain).setting == "OMS_FILE_MAX_BYTES"


@pytest.mark.parametrize("reader", ["list", "events", "register"])
def test_a_huge_text_node_is_stopped_while_it_is_read(reader):
    # 12 MB in one element, below the ratio floor: the record limit stops the parser at 1 MB, before lxml holds it.
    bomb = hostile.zip_bomb(12 * 1024 * 1024, prefix=b"<?xml version='1.0'?><ZL_LIST><ZGLV><FILENAME>")
    error = refused(READERS[reader], bomb)
    assert error.setting == "OMS_FILE_MAX_RECORD_BYTES" and "прочитано уже" in error.message


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("text", zl(fam="Я" * 40_000)),
        ("attribute", zl().replace("<FAM>", '<FAM x="' + "a" * 40_000 + '">')),
    ],
)
def test_one_xml_value_over_the_limit_is_refused_naming_the_element(name, data):
    error = refused(read_list, data.encode())
    assert error.setting == "OMS_FILE_MAX_VALUE_CHARS" and "<FAM>" in error.message and "40 000" in error.message


def test_the_value_limit_holds_below_one_parser_read(settings):
    settings.OMS_FILE_MAX_VALUE_CHARS = 50
    assert refused(read_list, zl(fam="Я" * 60).encode()).setting == "OMS_FILE_MAX_VALUE_CHARS"
    assert read_list(zl(fam="Я" * 40).encode()) == 1


def test_huge_tree_is_off_deep_nesting_and_many_children_are_bounded():
    deep = zl().replace("<FAM>Тестов</FAM>", "<X>" + "<a>" * 300 + "</a>" * 300 + "</X><FAM>Т</FAM>")
    assert "256" in refused(read_list, deep.encode()).message
    wide = zl().replace("<FAM>", "<X>" + "<a/>" * 400_000 + "</X><FAM>")
    assert refused(read_list, wide.encode()).setting == "OMS_FILE_MAX_RECORD_BYTES"


def test_csv_columns_are_bounded_like_a_sheets(settings):
    settings.OMS_SHEET_MAX_COLUMNS = 12
    assert read_list((CSV_HEADER + CSV_ROW.format(n=1, fam="А")[:-2] + ";;;;\r\n").encode()) == 1  # empty cells
    far = (CSV_HEADER + CSV_ROW.format(n=1, fam="А")[:-2] + ";;;x\r\n").encode()
    error = refused(read_list, far)
    assert error.setting == "OMS_SHEET_MAX_COLUMNS" and "13" in error.message


def test_csv_lines_and_values_are_bounded():
    long_line = (CSV_HEADER + "1;;;" + "Я" * 700_000 + "\r\n").encode()
    assert refused(read_list, long_line).setting == "OMS_FILE_MAX_RECORD_BYTES"
    no_newline = ("N_ZAP;" + "x" * 3_000_000).encode()
    assert refused(read_list, no_newline).setting == "OMS_FILE_MAX_RECORD_BYTES"
    long_value = csv_text(1, fam="Я" * 40_000).encode()
    error = refused(read_list, long_value)
    assert error.setting == "OMS_FILE_MAX_VALUE_CHARS" and "FAM" in error.message


def test_xlsx_cells_and_the_shared_strings_table_are_bounded(settings):
    huge_cell = hostile.xlsx(
        hostile.sheet(hostile.inline_row(1, SHEET_HEADER) + hostile.inline_row(2, ["1", "", "Я" * 40_000]))
    )
    error = refused(read_list, huge_cell)
    assert error.setting == "OMS_FILE_MAX_VALUE_CHARS" and "C2" in error.message
    settings.OMS_SHEET_MAX_SHARED_STRINGS = 1000
    assert refused(read_list, hostile.shared_strings_bomb(2000)).setting == "OMS_SHEET_MAX_SHARED_STRINGS"
    settings.OMS_SHEET_MAX_SHARED_STRINGS = 4_000_000
    settings.OMS_SHEET_MAX_SHARED_CHARS = 500
    assert refused(read_list, hostile.shared_strings_bomb(2000)).setting == "OMS_SHEET_MAX_SHARED_CHARS"
    # A real shared-strings bomb (millions of tiny strings) is refused by its compression ratio before it is read.
    bomb = hostile.shared_strings_bomb(3_000_000)
    assert refused(read_list, bomb).setting == "OMS_ZIP_MAX_RATIO"


def test_the_shared_strings_table_is_read_back_exactly():
    strings = ["N_ZAP", "ENP", "Ёлкина", "", "x" * 5000] + [f"s{i}" for i in range(9000)]
    cells = "".join(f'<c r="A{i + 1}" t="s"><v>{i}</v></c>' for i in range(len(strings)))
    workbook = hostile.xlsx(hostile.sheet(f'<row r="1">{cells}</row>'.replace("<c r=", "<c r=")), shared=strings)
    with SheetReader(io.BytesIO(workbook)) as sheet:
        table = sheet._shared
        assert [table.get(i) for i in range(len(strings))] == strings and table.get(len(strings)) is None


@pytest.mark.parametrize("reader", ["list", "events", "register", "plan"])
def test_reading_a_file_has_a_wall_clock_budget(settings, reader):
    settings.OMS_FILE_READ_SECONDS = 1e-9  # every file is over it at its first read
    data = good_sheet() if reader == "plan" else zl().encode()
    error = refused(READERS[reader], data)
    assert error.setting == "OMS_FILE_READ_SECONDS" and "дольше допустимого" in error.message


def test_a_zip_with_too_many_members_is_refused_before_its_directory_is_read(settings):
    settings.OMS_ZIP_MAX_MEMBERS = 50
    many = hostile.zip_of({f"f{i}.xml": b"<a/>" for i in range(60)})
    assert refused(read_list, many).setting == "OMS_ZIP_MAX_MEMBERS"


def test_the_limits_are_settings_with_the_documented_defaults():
    limits = file_limits()
    assert (limits.max_bytes, limits.max_zip_ratio, limits.max_zip_members) == (2 * 1024**3, 100, 1000)
    assert (limits.max_record_bytes, limits.max_value_chars) == (1024**2, 32_768)
    assert (limits.max_sheet_rows, limits.max_sheet_columns) == (1_048_576, 256)
    assert (limits.max_shared_strings, limits.max_shared_chars, limits.read_seconds) == (4_000_000, 64_000_000, 1800)


# --- Every bad file gets a clear answer --------------------------------------------------------------------------

ARCHIVES = {
    "truncated": (hostile.zip_of({"a.xml": zl().encode()})[:-30], "обрывается"),
    "encrypted": (hostile.encrypted_zip(), "с паролем"),
    "deflate64": (hostile.zip_with_method(9), "методом 9"),
    "damaged data": (hostile.corrupt_member(), "не распаковываются"),
    "two files": (hostile.zip_of({"a.xml": b"<a/>", "b.xml": b"<b/>"}), "ровно один файл"),
    "empty": (hostile.zip_of({}), "пуст"),
    "zip in zip": (hostile.zip_of({"inner.zip": hostile.zip_of({"a.xml": zl().encode()})}), "другой архив"),
    "path traversal": (hostile.zip_of({"../../etc/passwd.xml": zl().encode()}), "за пределы архива"),
    "absolute path": (hostile.zip_of({"/etc/list.xml": zl().encode()}), "за пределы архива"),
    "ods": (
        hostile.zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
        "OpenDocument",
    ),
    "xlsb": (hostile.zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.bin": b"\0"}), ".xlsb"),
}


@pytest.mark.parametrize("reader", ["list", "events", "register", "plan"])
@pytest.mark.parametrize("case", sorted(ARCHIVES))
def test_every_broken_or_hostile_archive_gets_its_own_answer(reader, case):
    data, fragment = ARCHIVES[case]
    assert fragment in refused(READERS[reader], data).message


def test_an_xlsx_inside_a_zip_and_mac_junk_beside_a_file_are_read():
    assert read_list(hostile.zip_of({"list.xlsx": good_sheet()})) == 1
    assert read_list(hostile.zip_of({"list.xml": zl().encode(), "__MACOSX/._list.xml": b"\0\5junk"})) == 1


TEXT_CLASSES = {
    "empty": (b"", "пуст"),
    "whitespace only": (b"  \r\n\t \n", "только пробелы"),
    "utf-16 with bom": (zl(enc="UTF-16").encode("utf-16"), "UTF-16"),
    "utf-16le without bom": (zl(enc="UTF-16").encode("utf-16-le"), "UTF-16"),
    "utf-16be without bom": (zl().encode("utf-16-be"), "UTF-16"),
    "utf-32": (zl().encode("utf-32"), "UTF-32"),
    "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 200, ".xls"),
    "pdf": (b"%PDF-1.4\n", "PDF"),
    "rar": (b"Rar!\x1a\x07\x00", "RAR"),
    "binary": (bytes(range(256)) * 8, "двоичный"),
}


@pytest.mark.parametrize("reader", ["list", "events", "register", "plan"])
@pytest.mark.parametrize("case", sorted(TEXT_CLASSES))
def test_files_that_are_not_what_they_should_be_get_their_own_answer(reader, case):
    data, fragment = TEXT_CLASSES[case]
    assert fragment in refused(READERS[reader], data).message


def test_utf16_csv_is_refused_like_utf16_xml():
    for data in (csv_text().encode("utf-16"), csv_text().encode("utf-16-le")):
        assert "UTF-16" in refused(read_list, data).message
        assert "UTF-16" in refused(read_events, data).message


XML_CLASSES = {
    "doctype": ('<?xml version="1.0"?><!DOCTYPE ZL_LIST><ZL_LIST/>', "DOCTYPE"),
    "billion laughs": (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aa"><!ENTITY b "&a;&a;&a;">]><ZL_LIST>&b;</ZL_LIST>',
        "DOCTYPE",
    ),
    "external entity": ('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><ZL_LIST>&x;</ZL_LIST>', "DOCTYPE"),
    "undeclared entity": (zl(fam="&nope;"), "«&nope;»"),
    "bare ampersand": (zl(fam="A & B"), "&amp;"),
    "bare less-than": (zl(fam="A < B"), "&lt;"),
    "tag mismatch": (zl().replace("</FAM>", "</IM>", 1), "открытый в строке 1"),
    "truncated": (zl(RECORD.format(n=1, fam="Т") * 3)[:-40], "обрывается"),
    "two documents": (zl() + zl(), "не в начале файла"),
    "nul reference": (zl(fam="&#0;"), "недопустимый в XML"),
    "control character": (zl(fam="\x01"), "недопустимый в XML"),
    "koi8-r": (zl(enc="KOI8-R"), "KOI8-R"),
}


@pytest.mark.parametrize("case", sorted(XML_CLASSES))
def test_broken_xml_gets_a_russian_answer_with_its_line(case):
    data, fragment = XML_CLASSES[case]
    error = refused(read_list, data.encode())
    assert fragment in error.message
    if case not in ("koi8-r",):
        assert "трок" in error.message  # the line ("строка 1" / "Строка 1")


def test_an_undeclared_entity_names_its_line_not_line_zero():
    data = zl("".join(RECORD.format(n=n, fam="&nope;" if n == 3 else "Т").replace("><", ">\n<") for n in (1, 2, 3)))
    error = refused(read_list, data.encode())
    assert "строка 0" not in error.message and f"строка {error.line}" in error.message and error.line > 10


def test_xinclude_is_never_processed():
    data = zl(fam='<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" parse="text"/>')
    with open_list_file(io.BytesIO(data.encode())) as reader:
        reader.header()
        (record,) = list(reader.records())
    assert record.fam == ""  # the element is read as an (empty) element, nothing is included


def test_a_declared_encoding_the_bytes_contradict_is_refused():
    # windows-1251 declared, UTF-8 bytes: would load "РўРµСЃС‚РѕРІ" over real names.
    for reader in (read_list, read_events, read_register):
        assert "кракозябры" in refused(reader, zl(enc="windows-1251").encode("utf-8")).message
    # the same file far past the head, after 100 000 ASCII bytes
    late = zl(RECORD.format(n=1, fam="Ivanov") * 450 + RECORD.format(n=2, fam="Тестов"), enc="windows-1251")
    assert "кракозябры" in refused(read_list, late.encode("utf-8")).message
    # UTF-8 declared (or no declaration), windows-1251 bytes
    error = refused(read_list, zl().encode("cp1251"))
    assert "windows-1251" in error.message and "UTF-8" in error.message
    # a UTF-8 BOM before a windows-1251 declaration
    assert "BOM" in refused(read_list, b"\xef\xbb\xbf" + zl(enc="windows-1251").encode("cp1251")).message
    assert read_list(zl(enc="windows-1251").encode("cp1251")) == 1  # the honest file reads


def test_a_byte_windows_1251_lacks_names_its_line():
    # 0x98 is the one byte windows-1251 leaves undefined; the file is re-encoded for the parser in Python, which
    # names the line of the byte (libxml2's own conversion reported line 1 for any place in the file).
    records = "".join(RECORD.format(n=n, fam="Тестов").replace("><", ">\r\n<") for n in (1, 2, 3))
    data = zl(records, enc="windows-1251").encode("cp1251")
    bad = data.index("Тестов".encode("cp1251"), data.index(b"<N_ZAP>3<"))
    data = data[:bad] + b"\x98" + data[bad:]
    for reader in (read_list, read_events, read_register):
        error = refused(reader, data)
        assert error.line == data.count(b"\n", 0, bad) + 1 > 20
        assert f"строка {error.line}" in error.message and "0x98" in error.message and "windows-1251" in error.message


def test_only_the_roots_children_are_records_and_each_is_read_whole_across_the_parsers_pieces():
    # The records are the root's children, taken when complete (the parser is fed 32 KiB at a time): a record
    # wrapped in an unknown element is not one, and records cut by the pieces read whole.
    wrapped = zl("<WRAP>" + RECORD.format(n=1, fam="Тестов") + "</WRAP>" + RECORD.format(n=2, fam="Тестов"))
    with open_list_file(io.BytesIO(wrapped.encode())) as reader:
        reader.header()
        assert [r.n_zap for r in reader.records()] == ["2"]
    many = zl("".join(RECORD.format(n=n, fam="Тестов" + "а" * (n % 7)) for n in range(1, 3001)))
    assert len(many.encode()) > 10 * 32 * 1024
    with open_list_file(io.BytesIO(many.encode())) as reader:
        reader.header()
        read = list(reader.records())
    assert [r.n_zap for r in read] == [str(n) for n in range(1, 3001)]
    assert all(r.fam == "Тестов" + "а" * (int(r.n_zap) % 7) and r.month == "3" for r in read)


def test_indentation_blank_values_and_cdata_read_the_same_in_both_encodings():
    # The parser drops the whitespace between elements (a MIS indents with tabs and CRLF); a value of blanks only
    # stays a value (then read as empty), text beside CDATA keeps its letters, and windows-1251 reads as UTF-8 does.
    record = (
        "\t<SV_PR_MER>\r\n\t\t<N_ZAP>1</N_ZAP>\r\n\t\t<FAM> <![CDATA[Тест<ов>]]> </FAM>\r\n\t\t<IM>Иван</IM>\r\n"
        "\t\t<OT> </OT>\r\n\t\t<W>1</W>\r\n\t\t<DR>1970-01-01</DR>\r\n\t\t<SV_PL_MER>\r\n\t\t\t<DISP>ДВН</DISP>\r\n"
        "\t\t\t<MONTH>3</MONTH>\r\n\t\t</SV_PL_MER>\r\n\t</SV_PR_MER>\r\n"
    )
    compact = RECORD.format(n=1, fam="Тест&lt;ов&gt;")
    read = {}
    for name, text, enc in (("tabs", record, "windows-1251"), ("tabs", record, "UTF-8"), ("compact", compact, "UTF-8")):
        with open_list_file(io.BytesIO(zl(text, enc=enc).encode(enc))) as reader:
            reader.header()
            (read[name, enc],) = list(reader.records())
    assert read["tabs", "windows-1251"] == read["tabs", "UTF-8"]
    tabs = read["tabs", "UTF-8"]
    assert (tabs.fam, tabs.im, tabs.ot, tabs.disp, tabs.month) == ("Тест<ов>", "Иван", "", "ДВН", "3")
    assert (tabs.fam, tabs.im, tabs.dr) == (read["compact", "UTF-8"].fam, read["compact", "UTF-8"].im, "1970-01-01")


def test_csv_encodings_are_decided_by_the_bytes_and_a_mixed_file_is_refused():
    head = CSV_HEADER + "".join(f"{n};;;Ivanov;Ivan;;1;1970-01-01;DVN;3\r\n" for n in range(1, 2000))
    late_cp1251 = (head + CSV_ROW.format(n=2000, fam="Тестов")).encode("cp1251")  # first Cyrillic after 64 KB
    assert read_list(late_cp1251) == 2000
    mixed = csv_text(2).encode("utf-8") + CSV_ROW.format(n=3, fam="Тестов").encode("cp1251")
    assert "Строка 4" in refused(read_list, mixed).message
    mixed = csv_text(2).encode("cp1251") + CSV_ROW.format(n=3, fam="Тестов").encode("utf-8")
    assert "смешивает кодировки" in refused(read_list, mixed).message
    assert "0x98" in refused(read_list, csv_text(1).encode("cp1251") + b"2;;;\x98;I;;1;1970-01-01;DVN;3\r\n").message


def test_csv_nul_quotes_and_newlines():
    nul = (csv_text(150) + "151;;;A\x00B;I;;1;1970-01-01;ДВН;3\r\n").encode()  # past the first 4 KB
    error = refused(read_list, nul)
    assert "NUL" in error.message and "Строка 152" in error.message
    swallowed = csv_text(3) + '4;;;"Тестов;Иван;;1;1970-01-01;ДВН;3\r\n' + csv_text(5)[len(CSV_HEADER) :]
    swallowed += '10;;;Тестов";Иван;;1;1970-01-01;ДВН;3\r\n'
    error = refused(read_list, swallowed.encode())
    assert "Строка 5" in error.message and "не закрыта" in error.message
    at_end = (csv_text(3) + '4;;;"Тестов;И;;1;1970-01-01;ДВН;3\r\n').encode()
    assert "не закрыта" in refused(read_list, at_end).message
    stray = (csv_text(1) + '2;;;"Тес"тов;И;;1;1970-01-01;ДВН;3\r\n').encode()
    assert "разделитель" in refused(read_list, stray).message
    assert read_list((CSV_HEADER + '1;;;"Тестов; мл.";Иван;;1;1970-01-01;ДВН;3\r\n').encode()) == 1
    row = ";;;А;И;;1;1970-01-01;ДВН;3"
    mixed_newlines = f"{CSV_HEADER}1{row}\n2{row}\r3{row}\r\n"
    assert read_list(mixed_newlines.encode()) == 3
    for separator in (",", "\t"):
        assert read_list(csv_text(2).replace(";", separator).encode()) == 2


def test_csv_rows_keep_their_line_numbers():
    data = (CSV_HEADER + "\r\n\r\n" + CSV_ROW.format(n=1, fam="А")).encode()
    with open_upload(io.BytesIO(data)) as upload:
        assert [line for line, _values in CsvRows(upload.stream)] == [1, 2, 3, 4]


SHEET_CLASSES = {
    "broken sheet xml": (
        hostile.xlsx(hostile.sheet(hostile.inline_row(1, ["N_ZAP"])).replace("</row>", "</rw>")),
        "закрыт тегом </rw>",
    ),
    "truncated sheet xml": (hostile.xlsx(hostile.sheet(hostile.inline_row(1, ["N_ZAP"]))[:-40]), "обрывается"),
    "doctype in the sheet": (
        hostile.xlsx(hostile.sheet(hostile.inline_row(1, ["N"])).replace("<worksheet", "<!DOCTYPE w><worksheet")),
        "DOCTYPE",
    ),
    "undeclared entity in the sheet": (hostile.xlsx(hostile.sheet(hostile.inline_row(1, ["&nope;"]))), "«&nope;»"),
    "a missing shared string": (
        hostile.xlsx(hostile.sheet('<row r="1"><c r="A1" t="s"><v>7</v></c></row>'), shared=["N_ZAP"]),
        "ячейка A1",
    ),
    "not a number in a number cell": (
        hostile.xlsx(hostile.sheet('<row r="1"><c r="B1"><v>abc</v></c></row>')),
        "ячейка B1",
    ),
    "a bad cell address": (hostile.xlsx(hostile.sheet('<row r="1"><c r="1A"><v>1</v></c></row>')), "«1A»"),
}


@pytest.mark.parametrize("reader", ["list", "events", "plan"])
@pytest.mark.parametrize("case", sorted(SHEET_CLASSES))
def test_broken_workbooks_get_an_answer_naming_the_part_or_the_cell(reader, case):
    data, fragment = SHEET_CLASSES[case]
    assert fragment in refused(READERS[reader], data).message


def test_a_workbook_whose_first_sheet_is_a_chart_reads_its_first_worksheet():
    assert read_list(hostile.xlsx(good_sheet_xml(), first_sheet_chart=True)) == 1


def good_sheet_xml() -> str:
    return hostile.sheet(
        hostile.inline_row(1, SHEET_HEADER)
        + hostile.inline_row(2, ["1", "", "Тестов", "Иван", "1", "1970-01-01", "ДВН", "3"])
    )


def test_a_workbook_with_only_charts_or_a_relationship_out_of_the_package_is_refused():
    only_chart = hostile.xlsx(good_sheet_xml(), first_sheet_chart=True)
    archive = zipfile.ZipFile(io.BytesIO(only_chart))
    members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(b'<sheet name="\xd0\xa1', b'<x name="\xd0\xa1')
    assert "нет листа с таблицей" in refused(read_list, hostile.zip_of(members)).message
    members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b'Target="worksheets/sheet1.xml"', b'Target="../../../etc/passwd"'
    )
    assert "за пределы книги" in refused(read_list, hostile.zip_of(members)).message


def test_a_real_excel_workbook_reads_dates_numbers_and_text_as_openpyxl_does():
    import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(SHEET_HEADER)
    sheet.append([1, "2755000000000011", "Ёлкина", "Алёна", 2, datetime.date(1961, 3, 14), "ДВН", 3.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with SheetReader(io.BytesIO(buffer.getvalue())) as reader:
        rows = list(reader.rows())
    assert rows[1] == (2, [1, "2755000000000011", "Ёлкина", "Алёна", 2, datetime.datetime(1961, 3, 14), "ДВН", 3])
    assert read_list(buffer.getvalue()) == 1


# --- ASCII digits only ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "١٢", "１２", "12a", "", "-1", " 1"])
def test_only_ascii_digits_are_digits(value):
    assert not ascii_digits(value) and positive_int(value) is None


def test_positive_numbers_are_positive():
    assert positive_int("0") is None and positive_int("007") == 7 and positive_int("2147483648") is None
