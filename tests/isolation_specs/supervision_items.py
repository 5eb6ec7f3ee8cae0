"""NPC/CPPCC items, judicial supervision, the per-agency summary and third-party evaluation."""

from tests.supervision import item_helpers as h

from . import ObjectURL


def _item(kind, agency_attr):
    return lambda w: h.BUILDERS[kind](getattr(w, agency_attr))


def _item_spec(kind, *, actor="office_staff_a"):
    return ObjectURL(_item(kind, "b1"), _item(kind, "a2"), None, actor=actor, own=_item(kind, "a1"))


def _assignment(agency_attr, evaluator=None):
    def build(w):
        agency = getattr(w, agency_attr)
        return h.assignment([agency], evaluator=evaluator(w) if evaluator else None)

    return build


def _link(agency_attr, evaluator=None):
    def build(w):
        agency = getattr(w, agency_attr)
        made = h.assignment([agency], evaluator=evaluator(w) if evaluator else None)
        return h.link_of(made, agency)

    return build


def _score(agency_attr, evaluator=None, report=False):
    def build(w):
        agency = getattr(w, agency_attr)
        made = h.assignment([agency], evaluator=evaluator(w) if evaluator else None)
        score = h.scored(made, agency, report=h.pdf() if report else None)
        return score.reports.get() if report else score

    return build


def _evaluator_a(w):
    return w.evaluator_a


OBJECT_URLS: dict[str, ObjectURL] = {}
for _kind in h.BUILDERS:
    OBJECT_URLS[f"supervision:{_kind}-update"] = _item_spec(_kind)
    OBJECT_URLS[f"supervision:{_kind}-delete"] = _item_spec(_kind)

OBJECT_URLS.update(
    {
        "supervision:assignment-detail": ObjectURL(
            _assignment("b1"), None, _assignment("c1"), own=_assignment("a1")
        ),
        "supervision:assignment-update": ObjectURL(_assignment("b1"), own=_assignment("a1")),
        "supervision:score-submit": ObjectURL(
            _link("b1"), actor="evaluator_a", own=_link("a1", _evaluator_a)
        ),
        "supervision:score-decide": ObjectURL(_score("b1"), own=_score("a1")),
        "supervision:score-report": ObjectURL(
            _score("b1", report=True),
            None,
            _score("c1", report=True),
            own=_score("a1", report=True),
        ),
    }
)

NON_OBJECT_URLS = {
    *(
        f"supervision:{kind}-{action}"
        for kind in h.BUILDERS
        for action in ("list", "create", "export")
    ),
    "supervision:summary",
    "supervision:summary-export",
    "supervision:assignment-list",
    "supervision:assignment-create",
    "supervision:assignment-export",
}
