"""The three shipped questionnaires [R II.14, R I.7.2 g] and the classifier of appeal topics, loaded by migrate.

Written out here (not imported from the app) so that the migration keeps meaning what it meant when it ran; a
later change to a shipped form is a new version, made by a later migration or by level 2 / the Fund.
"""

from django.db import migrations

YES_NO = [["yes", "Да"], ["no", "Нет"]]

FORMS = [
    {
        "code": "why-not-passed",
        "title": "Причины непрохождения профилактического мероприятия",
        "purpose": "WHY_NOT_PASSED",
        "questions": [
            {"code": "informed", "text": "Получали ли Вы приглашение пройти диспансеризацию или профосмотр?",
             "kind": "single", "required": True, "options": YES_NO},
            {"code": "channel", "text": "Каким способом Вас пригласили?", "kind": "multi", "required": False,
             "options": [["sms", "СМС"], ["phone", "Телефонный звонок"], ["post", "Письмо"],
                         ["messenger", "Мессенджер"], ["other", "Иначе"]],
             "show_if": {"question": "informed", "in": ["yes"]}},
            {"code": "came", "text": "Обращались ли Вы в поликлинику для прохождения?", "kind": "single",
             "required": True, "options": YES_NO},
            {"code": "reason", "text": "Почему Вы не прошли обследование?", "kind": "multi", "required": True,
             "options": [["no_time", "Нет времени, работа"], ["feel_well", "Чувствую себя здоровым"],
                         ["distrust", "Не доверяю результатам"], ["queue", "Очереди, неудобное время приёма"],
                         ["far", "Поликлиника далеко"], ["elsewhere", "Прохожу обследования в другом месте"],
                         ["refused_mo", "Отказали или не записали в МО"], ["other", "Другое"]],
             "show_if": {"question": "came", "in": ["no"]}},
            {"code": "mo_problem", "text": "Что помешало пройти после обращения в поликлинику?", "kind": "text",
             "required": False, "show_if": {"question": "came", "in": ["yes"]}},
            {"code": "will_come", "text": "Планируете ли пройти в этом году?", "kind": "single", "required": False,
             "options": [["yes", "Да"], ["no", "Нет"], ["unknown", "Не знаю"]]},
        ],
    },
    {
        "code": "satisfaction-mo",
        "title": "Удовлетворённость организацией диспансеризации в МО",
        "purpose": "SATISFACTION",
        "questions": [
            {"code": "overall", "text": "Оцените организацию диспансеризации в поликлинике (1 — плохо, 5 — отлично)",
             "kind": "scale", "required": True, "min": 1, "max": 5},
            {"code": "appointment", "text": "Удалось ли записаться в удобное время?", "kind": "single",
             "required": True, "options": YES_NO},
            {"code": "one_day", "text": "Сколько дней заняло прохождение 1 этапа?", "kind": "single",
             "required": False, "options": [["1", "Один день"], ["2_3", "2–3 дня"], ["more", "Больше 3 дней"]]},
            {"code": "waiting", "text": "Ждали ли Вы у кабинетов дольше 30 минут?", "kind": "single",
             "required": False, "options": YES_NO},
            {"code": "explained", "text": "Объяснил ли врач результаты обследования?", "kind": "single",
             "required": True, "options": YES_NO},
            {"code": "problems", "text": "Что было неудобно?", "kind": "multi", "required": False,
             "options": [["queue", "Очереди"], ["staff", "Отношение персонала"], ["routing", "Непонятный маршрут"],
                         ["hours", "Часы работы"], ["other", "Другое"]],
             "show_if": {"question": "overall", "in": ["1", "2", "3"]}},
            {"code": "comment", "text": "Ваши пожелания поликлинике", "kind": "text", "required": False},
        ],
    },
    {
        "code": "access-quality",
        "title": "Доступность и качество медицинской помощи",
        "purpose": "ACCESSIBILITY",
        "questions": [
            {"code": "gp_access", "text": "Удаётся ли записаться к терапевту в течение 24 часов?", "kind": "single",
             "required": True, "options": YES_NO},
            {"code": "specialist_wait", "text": "Сколько дней Вы ждали приёма узкого специалиста?", "kind": "single",
             "required": False, "options": [["le14", "До 14 дней"], ["gt14", "Больше 14 дней"],
                                            ["none", "Не обращался"]]},
            {"code": "paid", "text": "Предлагали ли Вам оплатить помощь, положенную по полису ОМС?", "kind": "single",
             "required": True, "options": YES_NO},
            {"code": "paid_what", "text": "За что предлагали заплатить?", "kind": "text", "required": False,
             "show_if": {"question": "paid", "in": ["yes"]}},
            {"code": "quality", "text": "Оцените качество медицинской помощи (1 — плохо, 5 — отлично)",
             "kind": "scale", "required": True, "min": 1, "max": 5},
            {"code": "knows_smo", "text": "Знаете ли Вы, что можете обратиться к страховому представителю?",
             "kind": "single", "required": False, "options": YES_NO},
        ],
    },
]  # fmt: skip

TOPICS = [
    ("01", "Организация диспансеризации и профосмотров"),
    ("02", "Запись на приём, очереди, сроки ожидания"),
    ("03", "Прикрепление к МО, выбор МО и врача"),
    ("04", "Полис ОМС, выбор и замена СМО"),
    ("05", "Взимание денежных средств за помощь по ОМС"),
    ("06", "Качество медицинской помощи"),
    ("07", "Лекарственное обеспечение"),
    ("08", "Этика и деонтология медицинских работников"),
    ("09", "Диспансерное наблюдение"),
    ("10", "Информирование СМО (отказ, ошибочный адресат)"),
    ("99", "Прочее"),
]


def load(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Version = apps.get_model("surveys", "QuestionnaireVersion")
    Topic = apps.get_model("surveys", "AppealTopic")
    for form in FORMS:
        questionnaire, _created = Questionnaire.objects.get_or_create(
            code=form["code"], defaults={"title": form["title"], "purpose": form["purpose"]}
        )
        Version.objects.get_or_create(questionnaire=questionnaire, number=1, defaults={"questions": form["questions"]})
    for code, name in TOPICS:
        Topic.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
