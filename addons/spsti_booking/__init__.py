# Importing the routes registers the self-booking pages on the portal;
# they answer 404 on a database where this module is not activated.
from . import routes

__all__ = ['routes']
