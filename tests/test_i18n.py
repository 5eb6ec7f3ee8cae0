"""The UI speaks Simplified Chinese: complete zh_Hans catalogue, compiled file up to date."""

import subprocess

import pytest
from django.conf import settings

LOCALE = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries(po_text: str):
    """(msgid, msgstr list, flags) for each entry of a .po file (plural forms included)."""
    entries, current = [], None
    for raw in po_text.splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current and current["msgid"]:
                entries.append(current)
            current = None
            continue
        if current is None:
            current = {"msgid": "", "msgstr": [], "flags": "", "key": None}
        if line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid "):
            current["key"] = "msgid"
            current["msgid"] = line[6:].strip('"')
        elif line.startswith("msgid_plural"):
            current["key"] = "plural"
        elif line.startswith("msgstr"):
            current["key"] = "msgstr"
            current["msgstr"].append(line.split(" ", 1)[1].strip('"'))
        elif line.startswith('"'):
            if current["key"] == "msgid":
                current["msgid"] += line.strip('"')
            elif current["key"] == "msgstr":
                current["msgstr"][-1] += line.strip('"')
    return entries


def test_every_message_is_translated():
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = _entries(po)
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"untranslated: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


def test_compiled_catalogue_is_up_to_date(tmp_path):
    compiled = tmp_path / "django.mo"
    try:
        subprocess.run(
            ["msgfmt", "--check-format", "-o", str(compiled), str(LOCALE / "django.po")],
            check=True,
            capture_output=True,
        )
    except FileNotFoundError:
        pytest.skip("msgfmt (gettext) is not installed")
    assert compiled.read_bytes() == (LOCALE / "django.mo").read_bytes(), (
        "locale/zh_Hans/LC_MESSAGES/django.mo is stale: run `make messages` and commit it"
    )


def test_login_page_is_chinese(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert "登录" in page
    assert "Log in" not in page
    assert "Username" not in page


def test_chinese_even_when_the_browser_asks_for_english(client, db):
    """Headless browsers and some intranet machines send Accept-Language: en-US; the platform
    still speaks Chinese."""
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in page
    assert "Log in" not in page
