# Importing the routes registers the public look-up of the registry on
# trytond's WSGI application.
from . import routes

__all__ = ['routes']
