"""Pagination of long HTML lists whose exact count would cost more than the page itself."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """Counts at most ``cap`` + 1 rows (``SELECT count(*) FROM (... LIMIT cap + 1)``) and pages within ``cap``.

    Counting every match of a two-letter surname prefix in a region of millions, or an audit log of millions of
    rows, costs seconds; past the cap the page says "more than N, refine" and offers the first N only.
    """

    def __init__(self, object_list, per_page, *, cap: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def is_capped(self) -> bool:
        return self._counted > self.cap
