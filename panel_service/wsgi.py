"""WSGI entry point: `flask --app panel_service.wsgi run` or any WSGI server."""

from panel_service.app import create_app

app = create_app()
