"""Answers in kind: the file a clinic's MIS imports back to mark each person accepted or rejected by the Fund.

One small module per MIS answer (shared/formats-regional.md §3; docs/formats/answers.md), each exposing ``ANSWER``
(:class:`Answer`): the Perm ``OSHIB_PR`` error protocol (``perm``), the Vologda list echoed with ``PROV``
(``vologda``) and the Pskov CSV echoed with ``ERR`` (``pskov``). They are offered on the protocol page and the API
beside FLK_P and XLSX for an upload read in that dialect once its protocol is issued and applied (status DONE), and
name the records by their numbers as the clinic sent them, with the Russian reason in the comment. Ekaterinburg's
``PDN…`` (``CODE_ERP``) answers a dialect the portal refuses (screening.formats.dialects.ekaterinburg), so it has none.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext_lazy as _

from screening.formats.flk import problem_comment
from screening.models import ListUpload, ProtocolError, UploadStatus

CHUNK = 5000


@dataclass(frozen=True)
class Answer:
    """What an answer file is: its title on the page, the name its MIS expects, its type, and its writer."""

    dialect: str
    title: object
    content_type: str
    file_name: Callable[[ListUpload], str]
    write: Callable[[ListUpload, IO[bytes]], None]


def rejected_problems(upload: ListUpload) -> Iterator[tuple[int, int, str]]:
    """(record number as sent, code, Russian reason) of every error that rejected a record, by number then code.

    A record is rejected exactly when it has one (a warning rejects nothing; a file-level row has no number)."""
    rows = (
        ProtocolError.objects.filter(upload=upload, severity=ProtocolError.Severity.ERROR, n_zap__isnull=False)
        .order_by("n_zap", "code", "measure", "id")
        .values_list("n_zap", "code", "comment", "measure")
        .iterator(chunk_size=CHUNK)
    )
    for n_zap, code, comment, measure in rows:
        yield n_zap, code, problem_comment(code, comment, measure)


def reasons_by_number(upload: ListUpload) -> dict[int, list[tuple[int, str]]]:
    """Rejected record number → [(code, reason)]: for the echoes, which walk the file in its own order."""
    reasons: dict[int, list[tuple[int, str]]] = {}
    for n_zap, code, text in rejected_problems(upload):
        reasons.setdefault(n_zap, []).append((code, text))
    return reasons


def joined_reasons(problems: list[tuple[int, str]]) -> str:
    return "; ".join(f"{code}: {text}" for code, text in problems)


def _answers() -> dict[str, Answer]:
    from . import perm, pskov, vologda

    return {answer.dialect: answer for answer in (perm.ANSWER, vologda.ANSWER, pskov.ANSWER)}


def answer_for(upload: ListUpload) -> Answer | None:
    """The answer its MIS imports, for an upload of such a dialect whose protocol is issued and applied."""
    if not upload.dialect or upload.status != UploadStatus.DONE:
        return None
    return _answers().get(upload.dialect)


def dialects_with_answers() -> tuple[str, ...]:
    return tuple(_answers())


def answer_temp_file(upload: ListUpload, answer: Answer) -> IO[bytes]:
    """The answer written to an anonymous temporary file, rewound (streamed to the client, as FLK_P is)."""
    target = tempfile.TemporaryFile(prefix="mis_answer_")  # noqa: SIM115 - returned open, closed by the response
    try:
        answer.write(upload, target)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return target


TITLE_PERM = _("Ответ для МИС: OSHIB_PR (XML)")
TITLE_VOLOGDA = _("Ответ для МИС: список с PROV (XML)")
TITLE_PSKOV = _("Ответ для МИС: CSV с ERR")
