"""Model field builders shared by the apps, so that a money column or an actor column means the
same thing everywhere."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


def user_fk(verbose_name):
    """Who did something: kept when the account is gone (PROTECT), empty for jobs."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )


def money(verbose_name, *, max_digits: int = 14, **kwargs):
    """An amount in yuan: Decimal with two places, never negative, at most the column holds."""
    largest = Decimal(10 ** (max_digits - 2)) - Decimal("0.01")
    return models.DecimalField(
        verbose_name,
        max_digits=max_digits,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(largest)],
        **kwargs,
    )
