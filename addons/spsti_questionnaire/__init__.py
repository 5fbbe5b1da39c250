# Importing the routes registers the employee's questionnaire pages and the
# kiosk on the portal; they answer 404 where this module is not activated.
from . import routes

__all__ = ['routes']
