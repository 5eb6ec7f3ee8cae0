"""The dashboards of the home pages (integrity/dashboard.py): each figure's Excel export reads
through the same scoping as the page (tests/test_dashboard.py checks what each role gets)."""

NON_OBJECT_URLS = {"dashboard-export"}
