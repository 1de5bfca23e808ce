"""Counting without COUNT(*) over millions of rows.

An unfiltered list takes PostgreSQL's planner estimate (``pg_class.reltuples``); a filtered list
counts at most ``COUNT_CAP`` + 1 rows and shows "more than N". Either way the page offers an
exact count on request.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

COUNT_CAP = 10_000
# Below this many rows an exact count is as cheap as the estimate and more useful.
ESTIMATE_FROM = 100_000


def table_estimate(*, model, using: str = "default") -> int | None:
    """The planner's row estimate for a model's table, or None where there is none."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] >= 0 else None


class LargeTablePaginator(Paginator):
    """``count`` is exact, estimated or capped; ``count_kind`` says which for the page to show."""

    cap = COUNT_CAP

    def __init__(self, *args, exact: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.exact = exact
        self.count_kind = "exact"

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if self.exact or not hasattr(queryset, "query"):
            return super().count
        if not queryset.query.where:
            estimate = table_estimate(model=queryset.model, using=queryset.db)
            if estimate is not None and estimate >= ESTIMATE_FROM:
                self.count_kind = "estimate"
                return estimate
        capped = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
        if capped > COUNT_CAP:
            self.count_kind = "capped"
        return capped
