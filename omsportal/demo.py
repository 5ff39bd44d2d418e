"""The demo year: the steps that bring the seeded demo region to life, declared by each app in its ``demo.py``.

``seed_demo`` first creates the region (participants: organizations, users, the register), then runs every declared
step in order. A step acts as the region's people would: it calls the app's own services as the demo user of the
role that does it (the Ministry approves its plan through ``year_plan_approve``, an MO uploads a ZL_LIST file through
``list_upload_create``, …), never by writing rows of its own. The one thing a step may set afterwards is *when* a
thing happened (:meth:`DemoContext.backdate`): the services stamp "now", and a year in motion needs the plan
approved in January, the lists uploaded in December of the year before and events posted month by month.

An app adds its part by declaring a step in its ``demo.py`` (found like ``tasks.py`` and ``access.py``)::

    declare_demo_step(DemoStep("informing.facts", 500, _inform, _("Факты информирования")))

``order`` places the step; the numbers in use (leave gaps):

| order | step | app |
|---|---|---|
| 100 | the Ministry's yearly plan, approved | screening |
| 200 | every MO's yearly list, uploaded and identified | screening |
| 300 | a correction re-upload after the protocol | screening |
| 400 | stage events month by month | screening |
| 500–599 | informing (facts, batches) | informing |
| 600–699 | call lists and surveys | surveys |
| 700–799 | invoice registers, reports | reports |

``run(ctx)`` returns one line saying what it did (printed by ``seed_demo``). Every step draws its randomness from
``ctx.rng(name)`` (seeded from the demo seed and the step's name), so the same seed gives the same year.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.db import models
from django.utils import timezone

from omsportal.registry import Registry


@dataclass(frozen=True)
class DemoStep:
    """One part of the demo year: ``run(ctx)`` acts through the app's services and returns a line saying what."""

    name: str
    order: int
    run: Callable[[DemoContext], str]
    label: str


_steps: Registry[str, DemoStep] = Registry("demo", "demo step")


def declare_demo_step(step: DemoStep) -> DemoStep:
    """Declare a step of the demo year (in an app's ``demo.py``)."""
    return _steps.add(step.name, step)


def demo_steps() -> list[DemoStep]:
    """Every declared step, in order."""
    return sorted(_steps.values(), key=lambda step: (step.order, step.name))


# The job-row timestamps a backdated job moves by the same offset (the durations stay as they were).
_MOVED_FIELDS = ("created_at", "started_at", "finished_at", "progress_at", "protocol_issued_at", "approved_at", "at")


@dataclass
class DemoContext:
    """What a step needs: the seed, the demo's today, the year in motion, the region's organizations and users."""

    seed: int
    today: datetime.date
    notes: dict = field(default_factory=dict)  # what earlier steps leave for later ones (by step name)

    @property
    def year(self) -> int:
        """The year in motion: the current one."""
        return self.today.year

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")  # noqa: S311 - reproducible demo data, not secrets

    @cached_property
    def _orgs(self):
        from participants.models import Organization

        return list(Organization.objects.order_by("kind", "code"))

    def organizations(self, kind: str) -> list:
        return [org for org in self._orgs if org.kind == kind]

    @cached_property
    def _users(self):
        from participants.models import User

        return {user.username: user for user in User.objects.select_related("organization")}

    def user(self, role: str, organization=None):
        """The demo user of ``role`` (in ``organization``), as seed_demo created it."""
        for user in self._users.values():
            if user.role == role and (organization is None or user.organization_id == organization.pk):
                return user
        raise LookupError(f"no demo user with role {role} in {organization}")

    def moment(self, day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
        """A time of the working day ``day`` in the portal's time zone."""
        naive = datetime.datetime.combine(day, datetime.time(hour, minute))
        return timezone.make_aware(naive, timezone.get_current_timezone())

    def backdate(self, queryset: models.QuerySet, when: datetime.datetime) -> int:
        """Move the timestamps of rows a service just wrote to ``when`` (only the dates of what happened)."""
        rows = list(queryset)
        if not rows:
            return 0
        model = queryset.model
        names = [f.name for f in model._meta.concrete_fields if f.name in _MOVED_FIELDS]
        anchor_name = "created_at" if "created_at" in names else names[0]
        for row in rows:
            anchor = getattr(row, anchor_name) or timezone.now()
            shift = when - anchor
            for name in names:
                value = getattr(row, name)
                if value is not None:
                    setattr(row, name, value + shift)
        model.objects.bulk_update(rows, names, batch_size=1000)
        return len(rows)


@dataclass(frozen=True)
class DemoStepResult:
    step: DemoStep
    summary: str
    seconds: float


def demo_year_build(
    *,
    seed: int,
    today: datetime.date | None = None,
    only: Iterable[str] | None = None,
    on_step: Callable[[DemoStepResult], None] | None = None,
) -> list[DemoStepResult]:
    """Run the declared steps (all, or those named in ``only``) in order; each step is its own unit of work."""
    ctx = DemoContext(seed=seed, today=today or timezone.localdate())
    wanted = set(only) if only is not None else None
    results = []
    for step in demo_steps():
        if wanted is not None and step.name not in wanted:
            continue
        started = time.monotonic()
        summary = step.run(ctx)
        result = DemoStepResult(step, summary, time.monotonic() - started)
        results.append(result)
        if on_step is not None:
            on_step(result)
    return results
