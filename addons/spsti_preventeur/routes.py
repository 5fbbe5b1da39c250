"""The public look-up of the registry, on trytond's WSGI application:
/<database>/preventeur/certificat?numero=PRV-XXXX-XXXX-XXXX answers with
the public facts of the certificate, without a login. Every look-up is
counted per address (hashed) and refused past the hourly limit; an
unknown or malformed number gets the same answer as a missing one."""
import os

from jinja2 import Environment, FileSystemLoader, select_autoescape

from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.wsgi import app

HEADERS = {
    'Content-Security-Policy': (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'"),
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    }

templates = Environment(
    loader=FileSystemLoader(os.path.join(os.path.dirname(__file__),
            'templates')),
    autoescape=select_autoescape(['html']))
templates.filters['day'] = lambda d: d.strftime('%d/%m/%Y') if d else ''


@app.route('/<database_name>/preventeur/certificat', methods=['GET'])
@with_pool
@with_transaction(readonly=False, context={'language': 'fr'})
def certificate_lookup(request, pool):
    Certificate = pool.get('spsti.preventeur.certificate')
    Attempt = pool.get('spsti.preventeur.lookup_attempt')
    number = request.args.get('numero', '').strip()
    status, result = HTTPStatus.OK, None
    if number:
        address = request.remote_addr
        if not Attempt.allowed(address):
            status = HTTPStatus.TOO_MANY_REQUESTS
        else:
            result = Certificate.public_lookup(number)
            Attempt.add(address, bool(result))
            if not result:
                status = HTTPStatus.NOT_FOUND
    html = templates.get_template('certificate.html').render(
        number=number, result=result, status=status)
    response = Response(html, status=status,
        content_type='text/html; charset=utf-8')
    response.headers.update(HEADERS)
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        response.headers['Retry-After'] = '3600'
    return response
