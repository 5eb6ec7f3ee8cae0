import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrity.filters import YesNoFilter

from .choices import AgencyKind, RankingGroup, Role, SecurityEventKind
from .models import Agency, SecurityEvent, Tenant, User


class AgencyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    tenant = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"), queryset=Tenant.objects.none()
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AgencyKind.choices)
    ranking_group = django_filters.ChoiceFilter(
        label=_("Ranking group"), choices=RankingGroup.choices
    )
    is_active = YesNoFilter(label=_("Active"))

    class Meta:
        model = Agency
        fields = ["q", "tenant", "kind", "ranking_group", "is_active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["tenant"].queryset = Tenant.objects.for_user(user)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(credit_code__icontains=value)
            | Q(leader_name__icontains=value)
        )


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Role.choices)
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.none())
    is_active = YesNoFilter(label=_("Active"))
    locked = YesNoFilter(label=_("Locked"), method="filter_locked")

    class Meta:
        model = User
        fields = ["q", "role", "agency", "is_active", "locked"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["agency"].queryset = Agency.objects.for_user(user)

    def search(self, queryset, name, value):
        return queryset.filter(Q(username__icontains=value) | Q(display_name__icontains=value))

    def filter_locked(self, queryset, name, value):
        locked = Q(locked_until__gt=timezone.now())
        return queryset.filter(locked) if value else queryset.exclude(locked)


class SecurityEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Event"), choices=SecurityEventKind.choices)
    username = django_filters.CharFilter(label=_("Username"), lookup_expr="icontains")
    ip_address = django_filters.CharFilter(label=_("Client address"))
    since = django_filters.DateFilter(
        label=_("From"), field_name="created_at", lookup_expr="date__gte"
    )
    until = django_filters.DateFilter(
        label=_("To"), field_name="created_at", lookup_expr="date__lte"
    )

    class Meta:
        model = SecurityEvent
        fields = ["kind", "username", "ip_address", "since", "until", "outcome"]
