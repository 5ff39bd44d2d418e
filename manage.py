#!/usr/bin/env python
import os
import sys

# Commands that only read the code (models, migrations, catalogs): they never serve a request nor sign anything, so
# they run without SECRET_KEY and without DEBUG (a CI check's plain `manage.py makemigrations --check`).
OFFLINE_COMMANDS = {"makemigrations", "showmigrations", "makemessages", "compilemessages"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omsportal.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS:
        os.environ.setdefault("OMS_OFFLINE_COMMAND", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
