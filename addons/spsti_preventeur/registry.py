"""Registre des préventeurs certifiés (optional mission a region may
delegate to the service): the people certified with their employer, the
tests and exams they took, the certificates obtained with their level of
competence and validity, and their renewals; a public look-up by
certificate number that reveals only the public facts."""
import datetime as dt
import hashlib
import secrets

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSingleton, ModelSQL, ModelView, Unique,
    Workflow, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval

from .exceptions import CertificateError

# Certificate numbers: a prefix and 12 characters of an alphabet without
# look-alikes (32 symbols, 60 bits): drawn at random, they cannot be
# enumerated.
ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ'
NUMBER_LENGTH = 12
NAME_DISPLAYS = [
    ('full', "First and last name"),
    ('initial', "Initial of the first name and last name"),
    ('none', "Not shown"),
    ]
CERTIFICATE_STATES = [
    ('draft', "Draft"),
    ('valid', "Valid"),
    ('suspended', "Suspended"),
    ('withdrawn', "Withdrawn"),
    ('renewed', "Renewed"),
    ('expired', "Expired"),
    ]


def new_number():
    "A fresh certificate number, e.g. PRV-7K3M-Q9XD-2HFA."
    body = ''.join(secrets.choice(ALPHABET) for _ in range(NUMBER_LENGTH))
    return 'PRV-' + '-'.join(body[i:i + 4] for i in range(0, NUMBER_LENGTH, 4))


def normalise_number(value):
    "The number as typed by anyone: spaces, dashes and case ignored."
    compact = ''.join(c for c in (value or '').upper() if c.isalnum())
    if compact.startswith('PRV'):
        compact = compact[3:]
    if len(compact) != NUMBER_LENGTH or set(compact) - set(ALPHABET):
        return None
    return 'PRV-' + '-'.join(
        compact[i:i + 4] for i in range(0, NUMBER_LENGTH, 4))


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Configuration of the registry of certified préventeurs"
    __name__ = 'spsti.preventeur.configuration'
    __string__ = "Préventeur Registry Configuration"
    name_display = fields.Selection(
        NAME_DISPLAYS, "Holder's Name in the Public Look-up", required=True,
        help="What the public look-up shows of the holder's name.")
    lookup_limit = fields.Integer(
        "Look-ups per Hour", required=True,
        domain=[('lookup_limit', '>', 0)],
        help="Look-ups one address may make in an hour before it is "
        "refused; numbers are unguessable, this limit makes trying them "
        "pointless.")

    @classmethod
    def default_name_display(cls):
        return 'initial'

    @classmethod
    def default_lookup_limit(cls):
        return 30


class Domain(DeactivableMixin, ModelSQL, ModelView):
    """Domaine de certification: a field of competence in prevention, with
    its levels."""
    __name__ = 'spsti.preventeur.domain'
    __string__ = "Certification Domain"
    code = fields.Char("Code", required=True, strip=True)
    name = fields.Char("Name", required=True, translate=True)
    description = fields.Text("Description", translate=True)
    levels = fields.One2Many(
        'spsti.preventeur.level', 'domain', "Levels")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'spsti_preventeur.msg_domain_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))

    def get_rec_name(self, name):
        return f'{self.code} - {self.name}'


class Level(sequence_ordered(), ModelSQL, ModelView):
    """Niveau de compétence of a domain, in increasing order, with the
    validity of the certificates it gives and the minimum score."""
    __name__ = 'spsti.preventeur.level'
    __string__ = "Competence Level"
    domain = fields.Many2One(
        'spsti.preventeur.domain', "Domain", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    validity_years = fields.Integer(
        "Validity (years)", required=True,
        domain=[('validity_years', '>', 0)],
        help="A certificate of this level is valid this many years from "
        "its issue, unless renewed.")
    pass_score = fields.Numeric(
        "Pass Score (%)", digits=(3, 1),
        domain=['OR',
            ('pass_score', '=', None),
            [('pass_score', '>=', 0), ('pass_score', '<=', 100)]],
        help="The share of the maximum score an exam needs to pass.")

    def get_rec_name(self, name):
        return f'{self.domain.code} - {self.name}'


class Person(ModelSQL, ModelView):
    """Personne certifiée (préventeur): an employee designated competent by
    their employer for the prevention of occupational risks."""
    __name__ = 'spsti.preventeur.person'
    __string__ = "Certified Person"
    first_name = fields.Char("First Name", required=True)
    last_name = fields.Char("Last Name", required=True)
    birth_date = fields.Date("Birth Date", required=True)
    birth_place = fields.Char("Birth Place")
    email = fields.Char("Email")
    phone = fields.Char("Phone")
    employer = fields.Many2One(
        'party.party', "Employer", ondelete='RESTRICT')
    member = fields.Many2One(
        'spsti.member', "Member", ondelete='SET NULL',
        help="The employer's membership of the service, if it is a member.")
    employer_contact = fields.Char(
        "Employer Contact", help="Who at the employer vouches for the "
        "designation.")
    employee = fields.Many2One(
        'spsti.employee', "Employee Followed", ondelete='SET NULL',
        help="The same person as an employee followed by the service.")
    exams = fields.One2Many(
        'spsti.preventeur.exam', 'person', "Tests and Exams")
    certificates = fields.One2Many(
        'spsti.preventeur.certificate', 'person', "Certificates",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('last_name', 'ASC'), ('first_name', 'ASC'),
            ('id', 'ASC')]

    def get_rec_name(self, name):
        return f'{self.last_name.upper()} {self.first_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('last_name', operator, operand, *extra),
            ('first_name', operator, operand, *extra),
            ]

    @fields.depends('member', '_parent_member.party')
    def on_change_member(self):
        if self.member:
            self.employer = self.member.party


class Exam(ModelSQL, ModelView):
    "Test ou examen passé by a person in a domain, with its result."
    __name__ = 'spsti.preventeur.exam'
    __string__ = "Test or Exam"
    person = fields.Many2One(
        'spsti.preventeur.person', "Person", required=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('test', "Test"),
            ('exam', "Exam"),
            ], "Kind", required=True)
    domain = fields.Many2One(
        'spsti.preventeur.domain', "Domain", required=True,
        ondelete='RESTRICT')
    level = fields.Many2One(
        'spsti.preventeur.level', "Level Aimed", required=True,
        ondelete='RESTRICT',
        domain=[('domain', '=', Eval('domain', -1))])
    date = fields.Date("Date", required=True)
    score = fields.Numeric("Score", digits=(6, 1),
        domain=['OR', ('score', '=', None), ('score', '>=', 0)])
    max_score = fields.Numeric("Maximum Score", digits=(6, 1),
        domain=['OR', ('max_score', '=', None), ('max_score', '>', 0)])
    passed = fields.Function(fields.Boolean("Passed"), 'get_passed')
    examiner = fields.Char("Examiner")
    notes = fields.Text("Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls.__access__.add('person')

    @classmethod
    def default_kind(cls):
        return 'exam'

    def get_passed(self, name):
        if self.score is None or not self.max_score:
            return None
        threshold = self.level.pass_score
        if threshold is None:
            return None
        return self.score * 100 / self.max_score >= threshold

    def get_rec_name(self, name):
        return f'{self.level.rec_name} {self.date.strftime("%d/%m/%Y")}'


class Certificate(Workflow, ModelSQL, ModelView):
    """Certification obtained: a person certified in a domain at a level,
    from its issue to the end of its validity, unless suspended,
    withdrawn or renewed (its renewal then carries on)."""
    __name__ = 'spsti.preventeur.certificate'
    __string__ = "Certificate"
    _rec_name = 'number'
    _draft = {'readonly': Eval('state') != 'draft'}
    number = fields.Char(
        "Number", readonly=True,
        help="Given at issue; unguessable, it is what the holder shows.")
    person = fields.Many2One(
        'spsti.preventeur.person', "Person", required=True,
        ondelete='RESTRICT', states=_draft)
    domain = fields.Many2One(
        'spsti.preventeur.domain', "Domain", required=True,
        ondelete='RESTRICT', states=_draft)
    level = fields.Many2One(
        'spsti.preventeur.level', "Level", required=True,
        ondelete='RESTRICT', states=_draft,
        domain=[('domain', '=', Eval('domain', -1))])
    exams = fields.Many2Many(
        'spsti.preventeur.certificate-exam', 'certificate', 'exam',
        "Exams", states=_draft,
        domain=[('person', '=', Eval('person', -1)),
            ('domain', '=', Eval('domain', -1))],
        help="The tests and exams the certificate rests on.")
    issue_date = fields.Date("Issue Date", states=_draft)
    valid_until = fields.Date(
        "Valid Until", readonly=True,
        help="From the issue date and the validity of the level.")
    renewal_of = fields.Many2One(
        'spsti.preventeur.certificate', "Renewal Of", readonly=True,
        ondelete='RESTRICT')
    renewals = fields.One2Many(
        'spsti.preventeur.certificate', 'renewal_of', "Renewals",
        readonly=True)
    state_reason = fields.Char(
        "Reason", states={
            'invisible': ~Eval('state').in_(['suspended', 'withdrawn']),
            'required': Eval('state').in_(['suspended', 'withdrawn']),
            })
    state = fields.Selection(CERTIFICATE_STATES, "State", required=True,
        readonly=True, sort=False)
    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.number),
                'spsti_preventeur.msg_certificate_number_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.valid_until, Index.Range()),
                where=t.state == 'valid'))
        cls._order = [('issue_date', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'valid'),
            ('valid', 'suspended'),
            ('suspended', 'valid'),
            ('valid', 'withdrawn'),
            ('suspended', 'withdrawn'),
            ('valid', 'renewed'),
            ('expired', 'renewed'),
            ('valid', 'expired'),
            }
        cls._buttons.update({
                'issue': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'suspend': {
                    'invisible': Eval('state') != 'valid',
                    'depends': ['state'],
                    },
                'reinstate': {
                    'invisible': Eval('state') != 'suspended',
                    'depends': ['state'],
                    },
                'withdraw': {
                    'invisible': ~Eval('state').in_(['valid', 'suspended']),
                    'depends': ['state'],
                    },
                'renew': {
                    'invisible': ~Eval('state').in_(['valid', 'expired']),
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    def get_rec_name(self, name):
        return self.number or f'({self.person.rec_name})'

    @classmethod
    def check_reason(cls, certificates):
        for certificate in certificates:
            if not certificate.state_reason:
                raise CertificateError(gettext(
                        'spsti_preventeur.msg_certificate_reason',
                        certificate=certificate.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('valid')
    def issue(cls, certificates):
        """Give each certificate its number and validity; the certificate
        it renews is marked renewed."""
        Date = Pool().get('ir.date')
        today = Date.today()
        numbers = set()
        renewed = []
        for certificate in certificates:
            if certificate.exams and not any(
                    e.passed for e in certificate.exams):
                raise CertificateError(gettext(
                        'spsti_preventeur.msg_certificate_no_exam_passed',
                        certificate=certificate.rec_name))
            number = new_number()
            while number in numbers or cls.search(
                    [('number', '=', number)], limit=1):
                number = new_number()
            numbers.add(number)
            certificate.number = number
            certificate.issue_date = certificate.issue_date or today
            certificate.valid_until = (certificate.issue_date
                + relativedelta(years=certificate.level.validity_years)
                - dt.timedelta(days=1))
            if certificate.renewal_of:
                renewed.append(certificate.renewal_of)
        cls.save(certificates)
        if renewed:
            cls.mark_renewed(renewed)

    @classmethod
    @Workflow.transition('renewed')
    def mark_renewed(cls, certificates):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('suspended')
    def suspend(cls, certificates):
        cls.check_reason(certificates)

    @classmethod
    @ModelView.button
    @Workflow.transition('valid')
    def reinstate(cls, certificates):
        cls.write(certificates, {'state_reason': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('withdrawn')
    def withdraw(cls, certificates):
        cls.check_reason(certificates)

    @classmethod
    @ModelView.button
    def renew(cls, certificates):
        """A draft renewal of each certificate (same person, domain and
        level), to issue once the renewal exam is passed."""
        existing = {c.renewal_of.id for c in cls.search([
                    ('renewal_of', 'in', [c.id for c in certificates]),
                    ('state', '=', 'draft'),
                    ])}
        return cls.create([{
                    'person': c.person.id,
                    'domain': c.domain.id,
                    'level': c.level.id,
                    'renewal_of': c.id,
                    } for c in certificates if c.id not in existing])

    @classmethod
    def expire(cls, date=None):
        "The valid certificates past their validity expire (daily task)."
        Date = Pool().get('ir.date')
        date = date or Date.today()
        certificates = cls.search([
                ('state', '=', 'valid'),
                ('valid_until', '<', date),
                ])
        cls.set_expired(certificates)
        return certificates

    @classmethod
    @Workflow.transition('expired')
    def set_expired(cls, certificates):
        pass

    @classmethod
    def public_status(cls, certificate, date):
        "The status the public look-up gives."
        if certificate.state == 'valid' and certificate.valid_until < date:
            return 'expired'
        return certificate.state

    @classmethod
    def public_lookup(cls, number):
        """The public facts of the certificate of number, or None: the
        number, the holder's name as the configuration allows, the domain,
        the level, the issue and end dates and the status. Nothing else
        (no birth date, contact, employer nor score) leaves this method.
        Drafts are not public."""
        pool = Pool()
        Configuration = pool.get('spsti.preventeur.configuration')
        Date = pool.get('ir.date')
        number = normalise_number(number)
        if not number:
            return None
        certificates = cls.search([
                ('number', '=', number),
                ('state', '!=', 'draft'),
                ], limit=1)
        if not certificates:
            return None
        certificate, = certificates
        person = certificate.person
        display = Configuration(1).name_display
        if display == 'full':
            holder = f'{person.first_name} {person.last_name.upper()}'
        elif display == 'initial':
            holder = f'{person.first_name[:1].upper()}. ' \
                f'{person.last_name.upper()}'
        else:
            holder = None
        status = cls.public_status(certificate, Date.today())
        return {
            'number': certificate.number,
            'holder': holder,
            'domain': certificate.domain.name,
            'level': certificate.level.name,
            'issue_date': certificate.issue_date,
            'valid_until': certificate.valid_until,
            'status': status,
            'status_label': dict(cls.fields_get(['state'])['state'][
                    'selection'])[status],
            }


class CertificateExam(ModelSQL):
    __name__ = 'spsti.preventeur.certificate-exam'
    __string__ = "Certificate - Exam"
    certificate = fields.Many2One(
        'spsti.preventeur.certificate', "Certificate", required=True,
        ondelete='CASCADE')
    exam = fields.Many2One(
        'spsti.preventeur.exam', "Exam", required=True, ondelete='CASCADE')


class LookupAttempt(ModelSQL):
    """A look-up of the public registry: a hash of the address it came
    from, to limit how many an address makes in an hour."""
    __name__ = 'spsti.preventeur.lookup_attempt'
    __string__ = "Registry Look-up"
    address = fields.Char("Address Hash", required=True)
    found = fields.Boolean("Found")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.address, Index.Equality()),
                (t.create_date, Index.Range())))

    @staticmethod
    def hash(address):
        "The address is not kept: only a hash that counts it."
        return hashlib.sha256((address or '').encode()).hexdigest()

    @classmethod
    def allowed(cls, address):
        """Whether address may look up once more; old attempts are
        removed on the way."""
        pool = Pool()
        Configuration = pool.get('spsti.preventeur.configuration')
        limit = Configuration(1).lookup_limit
        # create_date is the database's timestamp, in UTC.
        since = (dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            - dt.timedelta(hours=1))
        cls.delete(cls.search([('create_date', '<', since)]))
        return cls.search([
                ('address', '=', cls.hash(address)),
                ], count=True) < limit

    @classmethod
    def add(cls, address, found):
        cls.create([{'address': cls.hash(address), 'found': found}])

