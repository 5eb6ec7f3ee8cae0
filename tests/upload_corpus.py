"""The bad-input corpus for every upload (issue 9), built in memory, and the proofs that a
refused upload wrote nothing: `db_fingerprint()` (row count and checksum of every table) and
`media_files()` (every stored file).

Spreadsheets (ledger, agency and hotline imports): `spreadsheet_corpus(headers, row, ...)`
gives {case: file bytes} for a template's header row and a good row of it. Attachments:
`ATTACHMENT_CORPUS` gives {case: (file name, bytes)}. `multipart()` posts files under names
exactly as given (the test client keeps only a name's last path part, as a browser would).
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection
from openpyxl import Workbook

from integrity import rls

# Spreadsheets ---------------------------------------------------------------------------------

BOMB_BYTES = 500 * 1024 * 1024  # what the bomb's sheet expands to
BOMB_MAX_FILE = 1024 * 1024  # what the bomb weighs
LYING_SIZE = 1_000_000  # the sheet's size the lying bomb declares
EXCEL_LIMIT_CELL = "x" * 32_000  # near Excel's limit of 32,767 characters a cell
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a legacy .xls (or .doc)
SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def xlsx(headers: list[str] | None, rows=(), *, title: str = "Sheet1") -> bytes:
    """A workbook whose first sheet holds `headers` (none: an empty sheet) and `rows`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes], *, stored: frozenset[str] = frozenset()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            kind = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buffer.getvalue()


def truncated(valid: bytes) -> bytes:
    """The first half of a good file: the end of the archive (its directory) is missing."""
    return valid[: len(valid) // 2]


def _bomb(valid: bytes, *, filler: bytes = b"") -> bytes:
    """`valid` whose first sheet, after its real rows, holds 500 MB of rows of one long cell
    (a run of one letter deflates about 1000:1): a file under 1 MB."""
    members = _members(valid)
    head, tail = members.pop(SHEET).split(b"</sheetData>", 1)
    row = f'<row><c t="inlineStr"><is><t>{EXCEL_LIMIT_CELL}</t></is></c></row>'.encode()
    batch = row * 32
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        with archive.open(SHEET, "w") as sheet:
            sheet.write(head)
            for _ in range(BOMB_BYTES // len(batch)):
                sheet.write(batch)
            sheet.write(b"</sheetData>" + tail)
        if filler:
            archive.writestr("xl/media/image1.png", filler, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def zip_bomb(valid: bytes) -> bytes:
    return _bomb(valid)


def zip_bomb_lying(valid: bytes) -> bytes:
    """The bomb with its sheet's size declared as 1 MB in the archive's directory (so sizes
    and ratios computed from the directory look harmless), padded over 2 MB with an
    incompressible picture."""
    filler = random.Random(9).randbytes(2 * 1024 * 1024 + 1)
    data = bytearray(_bomb(valid, filler=filler))
    name = SHEET.encode()
    for signature, size_at in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_at = start + (46 if signature == b"PK\x01\x02" else 30)
            if data[name_at : name_at + len(name)] == name:
                data[start + size_at : start + size_at + 4] = struct.pack("<I", LYING_SIZE)
            start += 4
    return bytes(data)


def malformed_sheet(headers: list[str], row: list) -> bytes:
    """A sound archive whose sheet's XML stops in the middle, after its first thousand rows."""
    members = _members(xlsx(headers, [row] * 1000))
    members[SHEET] = members[SHEET][: len(members[SHEET]) * 2 // 3]
    return _zip(members)


def xml_entity_bomb(valid: bytes) -> bytes:
    """A sheet whose document type nests entities ten deep ("billion laughs"): 10^9 copies of
    a word from a few hundred bytes."""
    members = _members(valid)
    entities = '<!ENTITY e0 "lol">' + "".join(
        f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10)
    )
    head, rest = members[SHEET].split(b"<worksheet", 1)
    members[SHEET] = (
        head
        + f"<!DOCTYPE worksheet [{entities}]>".encode()
        + b"<worksheet"
        + rest.replace(
            b"</sheetData>",
            b'<row r="99"><c r="A99" t="inlineStr"><is><t>&e9;</t></is></c></row></sheetData>',
        )
    )
    return _zip(members)


def encrypted(content: bytes) -> bytes:
    """`content` with every member flagged as encrypted (zip's traditional encryption, which
    no reader opens without a password)."""
    data = bytearray(content)
    for signature, flags_at in ((b"PK\x01\x02", 8), (b"PK\x03\x04", 6)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + flags_at] |= 0x01
            start += 4
    return bytes(data)


def with_external_link(valid: bytes) -> bytes:
    """`valid` linked to a workbook on another machine (Excel refreshes such links on opening,
    reaching out to the path): the link part, its relationships and its content type."""
    members = _members(valid)
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(
        b"</sheets>",
        b'</sheets><externalReferences><externalReference r:id="rIdExt1"/></externalReferences>',
    )
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdExt1" Type="{REL_NS}/externalLink" '
        f'Target="externalLinks/externalLink1.xml"/></Relationships>'.encode(),
    )
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
    )
    members["xl/externalLinks/externalLink1.xml"] = (
        f'<externalLink xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><externalBook r:id="rId1">'
        '<sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet>'
        '<sheetData sheetId="0"><row r="1"><cell r="A1" t="str"><v>1</v></cell></row>'
        "</sheetData></sheetDataSet></externalBook></externalLink>"
    ).encode()
    members["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/externalLinkPath" Target="file://///192.0.2.1/share/book.xlsx" '
        'TargetMode="External"/></Relationships>'
    ).encode()
    return _zip(members)


FORMULAS = {
    "formula_arithmetic": "=1+1",
    "formula_hyperlink": '=HYPERLINK("http://192.0.2.1/","点击查看")',
    "formula_dde": "=cmd|' /C calc'!A0",
}


def spreadsheet_corpus(
    headers: list[str],
    row: list,
    *,
    wrong_row: list,
    duplicate_rows: list[list],
    max_rows: int,
    filler_row: list | None = None,
    text_column: int = 0,
) -> dict[str, bytes]:
    """{case: file} for an import whose template has `headers` and accepts `row`.

    `wrong_row` has a value of the wrong type in every column that can be wrong;
    `duplicate_rows` repeat a row the import must take only once; `filler_row` (default
    `row`) fills the file over `max_rows`; formulas go in column `text_column`."""
    valid = xlsx(headers, [row])
    corpus = {
        "not_zip": ",".join(headers).encode() + b"\n" + ",".join(map(str, row)).encode(),
        "legacy_xls": OLE2_SIGNATURE + b"\x00" * 504,
        "truncated": truncated(valid),
        "zip_bomb": zip_bomb(valid),
        "zip_bomb_lying_size": zip_bomb_lying(valid),
        "malformed_sheet": malformed_sheet(headers, row),
        "xml_entity_bomb": xml_entity_bomb(valid),
        "encrypted_members": encrypted(valid),
        "external_link": with_external_link(valid),
        "wrong_header": xlsx([*headers[:-1], "备注"], [row]),
        "missing_headers": xlsx(headers[: len(headers) // 2], [row[: len(headers) // 2]]),
        "headers_out_of_order": xlsx([headers[1], headers[0], *headers[2:]], [row]),
        "no_header": xlsx(None),
        "wrong_types": xlsx(headers, [wrong_row]),
        "duplicate_rows": xlsx(headers, duplicate_rows),
        "over_row_limit": _many_rows(headers, filler_row or row, max_rows + 1),
        "over_size_limit": b"PK\x03\x04" + b"\x00" * settings.EXCEL_UPLOAD_MAX_BYTES,
    }
    for case, formula in FORMULAS.items():
        bad = list(row)
        bad[text_column] = formula
        corpus[case] = xlsx(headers, [row, bad])
    return corpus


def _many_rows(headers: list[str], row: list, count: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for _ in range(count):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Attachments ----------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MZ_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 112
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


@cache
def docx() -> bytes:
    """The smallest Word document: its content types and word/document.xml."""
    return _zip(
        {
            "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types"><Override PartName="/word/document.xml" ContentType="'
            b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+"
            b'xml"/></Types>',
            "word/document.xml": b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body><w:p/></w:body></w:document>',
        }
    )


def macro_document() -> bytes:
    """A macro-enabled Word document (.docm) renamed .docx: its VBA project runs when macros
    are enabled."""
    members = _members(docx())
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"document.main+xml", b"document.macroEnabled.main+xml"
    )
    members["word/vbaProject.bin"] = OLE2_SIGNATURE + b"\x00" * 504
    return _zip(members)


# {case: (file name as sent, content)}; every one must be refused.
ATTACHMENT_CORPUS = {
    "exe_as_pdf": ("report.pdf", MZ_EXE),
    "elf_as_pdf": ("report.pdf", ELF),
    "html_as_png": ("photo.png", HTML),
    "exe_extension": ("setup.exe", MZ_EXE),
    "double_extension": ("report.pdf.exe", MZ_EXE),
    "text_as_docx": ("说明.docx", b"just some text, not a document"),
    "legacy_doc_as_docx": ("说明.docx", OLE2_SIGNATURE + b"\x00" * 504),
    "truncated_docx": ("说明.docx", truncated(docx())),
    "encrypted_docx": ("说明.docx", encrypted(docx())),
    "macro_docx": ("说明.docx", macro_document()),
    "pdf_as_docx": ("说明.docx", PDF),
    "empty": ("empty.pdf", b""),
    "over_size_limit": ("big.pdf", PDF + b"\x00" * (20 * 1024 * 1024)),
    "traversal_exe": ("../../../../tmp/evil.pdf", MZ_EXE),
}

# Names that reach the server as they are (a browser sends the last part only); the file is a
# good PDF, kept under a random name with the name reduced to its last part.
TRAVERSAL_NAMES = {
    "dot_dot_slash": ("../../etc/passwd.pdf", "passwd.pdf"),
    "dot_dot_backslash": ("..\\..\\x.pdf", "x.pdf"),
    "absolute": ("/etc/cron.d/x.pdf", "x.pdf"),
    "nul_byte": ("evil.pdf\x00.exe.pdf", "evil.pdf.exe.pdf"),
    "very_long": ("长" * 300 + ".pdf", "长" * 116 + ".pdf"),
}


# Posting --------------------------------------------------------------------------------------

BOUNDARY = "----corpus-boundary-7d9a1f"


def multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> bytes:
    """A multipart/form-data body with each file under its name exactly as given."""
    out = io.BytesIO()
    for key, values in fields.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            out.write(
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
            )
            out.write(str(value).encode() + b"\r\n")
    for key, name, content in files:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        out.write(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"; '
            f'filename="{quoted}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


def post_files(client, url: str, fields: dict, files: list[tuple[str, str, bytes]]):
    return client.post(
        url,
        data=multipart(fields, files),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


# Proofs ---------------------------------------------------------------------------------------

# Log-in sessions change on every request and are not data of the platform.
UNTRACKED_TABLES = frozenset({"django_session"})


def tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
        return [name for (name,) in cursor.fetchall() if name not in UNTRACKED_TABLES]


def db_fingerprint() -> dict[str, tuple[int, str | None]]:
    """{table: (row count, md5 of its rows in text form)} for every table of the schema,
    pghistory's event and context tables included; read for the platform (every tenant)."""
    result = {}
    with rls.system(), connection.cursor() as cursor:
        for table in tables():
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {quoted} t"
            )
            result[table] = cursor.fetchone()
    return result


def fingerprint_diff(before: dict, after: dict) -> dict[str, tuple]:
    return {
        table: (before.get(table), after.get(table))
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    }


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return set()
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
