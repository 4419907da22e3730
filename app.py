"""Entry point: `flask --app app run` for development, `gunicorn "app:app"` in production."""

from bot import create_app

app = create_app()
