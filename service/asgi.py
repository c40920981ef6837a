"""For process managers that import the app:

uvicorn --factory service.asgi:app_from_environment
"""

from starlette.applications import Starlette

from service.app import create_app
from service.logs import configure_logging
from service.settings import load_settings


def app_from_environment() -> Starlette:
    """The app for the environment's settings (DATABASE_URL required: no embedded server here)."""
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)
