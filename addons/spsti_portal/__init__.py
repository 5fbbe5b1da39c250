# Importing the routes registers the portal's pages on trytond's WSGI
# application, beside the JSON-RPC of the web client.
from . import routes

__all__ = ['routes']
