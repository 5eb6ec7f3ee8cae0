"""Rich text typed by users (report sections): kept as HTML restricted to an allowlist of tags,
so it can be shown and printed as written without letting script or styles in."""

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "blockquote",
}


def clean_html(text: str) -> str:
    """The HTML with anything outside the allowlist removed (attributes too)."""
    cleaned = nh3.clean(text or "", tags=ALLOWED_TAGS, attributes={}, link_rel=None).strip()
    return "" if cleaned in ("<p></p>", "<p><br></p>", "<br>") else cleaned


def is_blank(html: str) -> bool:
    """True when the HTML holds no visible text."""
    return not nh3.clean(html or "", tags=set()).strip()
