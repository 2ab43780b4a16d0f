"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from reception import create_app

app = create_app()
