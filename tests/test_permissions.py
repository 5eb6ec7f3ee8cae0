"""The permission matrix printed in ARCHITECTURE.md is the one the code enforces."""

import re

from django.conf import settings

from accounts.choices import Role
from integrity.permissions import MATRIX


def _documented_matrix():
    text = (settings.BASE_DIR / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(
        r"<!-- permission-matrix:start -->(.*?)<!-- permission-matrix:end -->", text, re.S
    ).group(1)
    rows = [line.strip().strip("|").split("|") for line in block.strip().splitlines()]
    header = [cell.strip() for cell in rows[0]]
    matrix = {}
    for row in rows[2:]:
        cells = [cell.strip() for cell in row]
        matrix[cells[0]] = frozenset(
            role for role, mark in zip(header[1:], cells[1:], strict=True) if mark == "✓"
        )
    return header[1:], matrix


def test_architecture_md_matches_the_code():
    roles, documented = _documented_matrix()
    assert set(roles) == set(Role.values)
    assert documented == {
        action: frozenset(str(r) for r in allowed) for action, allowed in MATRIX.items()
    }
