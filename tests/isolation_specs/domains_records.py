"""Failure-of-trust records (office and agency side), integrity files and commitments."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CommitmentFactory, TrustRecordFactory

from . import ObjectURL

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _record(agency_attr):
    return lambda w: TrustRecordFactory(agency=getattr(w, agency_attr))


def _measure(agency_attr):
    def build(w):
        from domains.services import measure_add

        record = TrustRecordFactory(agency=getattr(w, agency_attr))
        return measure_add(
            record=record,
            actor=None,
            data={
                "measure_type": "written_warning",
                "date": record.decision_date,
                "issuing_body": "县信用办",
            },
        )

    return build


def _record_attachment(agency_attr):
    def build(w):
        from domains.services import attachment_add

        record = TrustRecordFactory(agency=getattr(w, agency_attr))
        return attachment_add(
            parent=record,
            actor=None,
            uploaded=SimpleUploadedFile("决定书.pdf", PDF, "application/pdf"),
        )

    return build


def _commitment(agency_attr):
    return lambda w: CommitmentFactory(agency=getattr(w, agency_attr))


def _commitment_attachment(agency_attr):
    def build(w):
        from domains.services import attachment_add

        commitment = CommitmentFactory(agency=getattr(w, agency_attr))
        return attachment_add(
            parent=commitment,
            actor=None,
            uploaded=SimpleUploadedFile("证明.pdf", PDF, "application/pdf"),
        )

    return build


def _record_spec(*, city=False, actor="office_staff_a"):
    return ObjectURL(
        _record("b1"),
        _record("a2"),
        _record("c1") if city else None,
        actor=actor,
        own=_record("a1"),
    )


OBJECT_URLS: dict[str, ObjectURL] = {
    "domains:record-detail": _record_spec(city=True),
    "domains:record-update": _record_spec(),
    "domains:record-publish": _record_spec(),
    "domains:record-unpublish": _record_spec(),
    "domains:record-revoke": _record_spec(),
    "domains:record-end-publicity": _record_spec(),
    "domains:record-stop-sharing": _record_spec(),
    "domains:record-measure-add": _record_spec(),
    "domains:record-attachment-add": _record_spec(),
    "domains:record-measure-delete": ObjectURL(
        _measure("b1"), _measure("a2"), actor="office_staff_a", own=_measure("a1")
    ),
    "domains:record-attachment": ObjectURL(
        _record_attachment("b1"),
        _record_attachment("a2"),
        _record_attachment("c1"),
        actor="office_staff_a",
        own=_record_attachment("a1"),
    ),
    "domains:commitment-detail": ObjectURL(
        _commitment("b1"), _commitment("a2"), _commitment("c1"), own=_commitment("a1")
    ),
    "domains:commitment-update": ObjectURL(
        _commitment("b1"), _commitment("a2"), own=_commitment("a1")
    ),
    "domains:commitment-evidence": ObjectURL(
        _commitment("b1"), _commitment("a2"), own=_commitment("a1")
    ),
    "domains:commitment-status": ObjectURL(
        _commitment("b1"), _commitment("a2"), own=_commitment("a1")
    ),
    "domains:commitment-attachment": ObjectURL(
        _commitment_attachment("b1"),
        _commitment_attachment("a2"),
        _commitment_attachment("c1"),
        own=_commitment_attachment("a1"),
    ),
}

# Lists, exports, forms and the integrity-file search: their querysets go through the same
# scoping (tests/domains/test_records.py and test_commitments.py check what each shows).
NON_OBJECT_URLS = {
    "domains:record-list",
    "domains:record-export",
    "domains:record-create",
    "domains:person-file",
    "domains:commitment-list",
    "domains:commitment-export",
    "domains:commitment-create",
}
