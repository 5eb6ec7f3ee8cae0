"""`manage.py bench_generate`: the synthetic province of the benchmarks (bench/generate.py) in an
empty database, and its manifest (users, API keys, ids) for bench/run.py."""

import json
import os
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Tenant
from bench.generate import Scale, generate


class Command(BaseCommand):
    help = "Generate the seeded synthetic province of the benchmarks into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="default", help="default (100 counties) or small")
        parser.add_argument("--seed", type=int, default=20261)
        parser.add_argument("--today", type=date.fromisoformat, default=None)
        parser.add_argument(
            "--manifest",
            default=str(
                Path(os.environ.get("BENCH_DIR") or Path(settings.BASE_DIR) / "var" / "bench")
                / "province.json"
            ),
        )

    def handle(self, *args, **options):
        try:
            scale = Scale.named(options["scale"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if Tenant.objects.exists():
            raise CommandError(
                "The database already holds jurisdictions: the province is generated into an "
                "empty, migrated database (make bench recreates integrity_bench)."
            )
        manifest = generate(
            scale=scale,
            seed=options["seed"],
            today=options["today"],
            owner_url=getattr(settings, "DATABASE_OWNER_URL", "") or None,
            log=lambda line: self.stdout.write(line),
        )
        path = Path(options["manifest"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        total = sum(manifest["rows"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Province ready: {total:,} rows by COPY in {manifest['seconds']} s "
                f"(manifest {path})."
            )
        )
