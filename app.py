"""Entry point: `flask --app app run` for development, `gunicorn -c gunicorn.conf.py app:app` in production.

Building the app is cheap (see `bot.startup`); a server prepares before its first request:
gunicorn in its master (gunicorn.conf.py), `flask run` here, as it loads the app.
"""

from bot import create_app
from bot.startup import prepare, started_by_flask_run

app = create_app()

if started_by_flask_run():
    prepare(app)
