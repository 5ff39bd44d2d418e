"""Texts approved by the Fund: templates and their versions, draft → submitted → approved or returned [R II.10].

An approved (or submitted) version is never edited: a change makes a new draft version that needs approval again;
every version stays. Only approved versions render messages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import Organization, User

from ..models import Channel, Template, TemplateVersion, VersionStatus
from ..texts import unbalanced_braces, unknown_placeholders

EDITABLE = (VersionStatus.DRAFT,)


def validate_text(body: str, subject: str = "") -> None:
    """A form error for unknown placeholders or stray braces (never a crash at send time)."""
    errors = []
    for part in (subject, body):
        unknown = unknown_placeholders(part)
        if unknown:
            errors.append(
                _("Неизвестные подстановки: %(names)s") % {"names": ", ".join("{" + n + "}" for n in unknown)}
            )
        if unbalanced_braces(part):
            errors.append(_("Фигурные скобки без подстановки: используйте {имя_отчество} и др. из списка"))
    if not (body or "").strip():
        errors.append(_("Текст не может быть пустым"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def template_create(
    *, smo: Organization, kind: str, channel: str, name: str, body: str, subject: str = "", created_by: User
) -> Template:
    """A new template with its first draft version."""
    validate_text(body, subject)
    template = Template.objects.create(smo=smo, kind=kind, channel=channel, name=name[:200], created_by=created_by)
    TemplateVersion.objects.create(
        template=template, number=1, body=body, subject=subject[:200] if channel == Channel.EMAIL else "",
        created_by=created_by,
    )  # fmt: skip
    return template


@transaction.atomic
def template_text_change(*, template: Template, body: str, subject: str = "", changed_by: User) -> TemplateVersion:
    """Change the text: the latest draft in place; an approved, submitted or returned one becomes a new draft."""
    validate_text(body, subject)
    Template.objects.select_for_update().filter(pk=template.pk).first()
    latest = template.versions.order_by("-number").first()
    subject = subject[:200] if template.channel == Channel.EMAIL else ""
    if latest is not None and latest.status in EDITABLE:
        latest.body, latest.subject = body, subject
        latest.save(update_fields=["body", "subject"])
        return latest
    number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return TemplateVersion.objects.create(
        template=template, number=number, body=body, subject=subject, created_by=changed_by
    )


def version_submit(*, version: TemplateVersion, user: User) -> TemplateVersion:
    """Send a draft to the Fund for approval."""
    changed = TemplateVersion.objects.filter(pk=version.pk, status=VersionStatus.DRAFT).update(
        status=VersionStatus.SUBMITTED, submitted_at=timezone.now()
    )
    if not changed:
        raise ValidationError(_("На согласование отправляется только черновик."))
    version.refresh_from_db()
    return version


def _decide(version: TemplateVersion, user: User, status: str, comment: str) -> TemplateVersion:
    if user.role != "FUND":
        raise PermissionDenied(_("Тексты согласует ТФОМС."))
    changed = TemplateVersion.objects.filter(pk=version.pk, status=VersionStatus.SUBMITTED).update(
        status=status, decided_by=user, decided_at=timezone.now(), comment=comment
    )
    if not changed:
        raise ValidationError(_("Решение принимается по тексту на согласовании."))
    version.refresh_from_db()
    return version


def version_approve(*, version: TemplateVersion, user: User) -> TemplateVersion:
    """The Fund approves a submitted version: from now on it renders messages."""
    return _decide(version, user, VersionStatus.APPROVED, "")


def version_return(*, version: TemplateVersion, user: User, comment: str) -> TemplateVersion:
    """The Fund returns a submitted version with a comment."""
    if not (comment or "").strip():
        raise ValidationError(_("Укажите, что исправить."))
    return _decide(version, user, VersionStatus.RETURNED, comment.strip()[:2000])


def approved_version(template: Template) -> TemplateVersion | None:
    """The latest approved version of ``template`` (the one batches use), or None."""
    return template.versions.filter(status=VersionStatus.APPROVED).order_by("-number").first()
