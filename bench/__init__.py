"""Province-scale benchmarks (`make bench`): the synthetic-province generator (`generate.py`,
run as `manage.py bench_generate`) and the measurements B1–B6 (`run.py`)."""
