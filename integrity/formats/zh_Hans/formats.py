"""Amounts in yuan read with a comma every three digits (1,234,567.89), as in financial tables
of Chinese offices; Django's zh_Hans defaults have no thousands separator. Only where a template
asks for grouping (intcomma): form inputs are not localised."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
