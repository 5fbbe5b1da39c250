"Salariés suivis par le service."
import datetime as dt

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.modules.spsti_base.identifiers import check_identifier
from trytond.pool import Pool
from trytond.tools import grouped_slice

from .exceptions import MemberValidationError

IDENTITY_STATUSES = [
    ('provisional', "Provisional"),
    ('recovered', "Recovered"),
    ('validated', "Validated"),
    ('qualified', "Qualified"),
    ]



def age(birth_date, on):
    "The age in whole years on a date."
    return on.year - birth_date.year - (
        (on.month, on.day) < (birth_date.month, birth_date.day))

class Employee(DeactivableMixin, ModelSQL, ModelView):
    """Salarié: one person, with one file whatever the number of employers
    (job assignments). Identity follows the national identity-vigilance
    rules: traits, NIR with its key, INS and its status."""
    __name__ = 'spsti.employee'
    __string__ = "Employee"
    last_name = fields.Char("Birth Name", required=True, strip=True)
    usage_name = fields.Char("Usage Name", strip=True)
    first_name = fields.Char("First Names", required=True, strip=True)
    birth_date = fields.Date("Birth Date", required=True)
    sex = fields.Selection([
            ('F', "Female"),
            ('M', "Male"),
            ('I', "Undetermined"),
            ], "Sex", required=True)
    birth_place = fields.Char(
        "Birth Place Code", size=5,
        help="INSEE code of the birth municipality (99xxx abroad).")
    nir = fields.Char(
        "NIR", size=15, strip=True,
        help="Numéro d'inscription au répertoire (social security number) "
        "with its 2-digit key.")
    ins = fields.Char(
        "INS", strip=True,
        help="Identifiant national de santé (matricule INS).")
    identity_status = fields.Selection(
        IDENTITY_STATUSES, "Identity Status", required=True,
        help="Provisional: traits not checked; recovered: INS obtained from "
        "the national service; validated: traits checked on an identity "
        "document; qualified: both.")
    email = fields.Char("Email")
    phone = fields.Char("Phone")
    mobile = fields.Char("Mobile")
    street = fields.Text("Street")
    postal_code = fields.Char("Postal Code")
    city = fields.Char("City")
    consent_email = fields.Boolean(
        "Consents to Email", help="Convocations and reminders by email.")
    consent_sms = fields.Boolean(
        "Consents to SMS", help="Reminders by text message.")
    consent_portal = fields.Boolean(
        "Consents to Portal", help="Access to the employee's web space.")
    assignments = fields.One2Many(
        'spsti.assignment', 'employee', "Job Assignments")
    category = fields.Function(fields.Many2One(
            'spsti.follow_up.category', "Follow-up Category",
            help="The highest category of the assignments in force."),
        'get_category')
    age = fields.Function(fields.Integer("Age"), 'get_age')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('nir_unique', Unique(t, t.nir),
                'spsti_adherent.msg_employee_nir_unique'),
            ]
        cls._order = [('last_name', 'ASC'), ('first_name', 'ASC'),
            ('id', 'ASC')]

    @classmethod
    def default_identity_status(cls):
        return 'provisional'

    def get_rec_name(self, name):
        name = f'{self.last_name.upper()} {self.first_name}'
        if self.usage_name:
            name += f' ({self.usage_name.upper()})'
        return f'{name} - {self.birth_date.strftime("%d/%m/%Y")}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('last_name', operator, operand, *extra),
            ('usage_name', operator, operand, *extra),
            ('first_name', operator, operand, *extra),
            ('nir', operator, operand, *extra),
            ]

    def get_age(self, name, on=None):
        return age(self.birth_date, on or dt.date.today())

    @classmethod
    def get_category(cls, employees, name):
        pool = Pool()
        Assignment = pool.get('spsti.assignment')
        today = dt.date.today()
        result = {e.id: None for e in employees}
        ranks = {}
        for sub_ids in grouped_slice(
                [e.id for e in employees], MAX_QUERY_PARAMS):
            for assignment in Assignment.search([
                        ('employee', 'in', list(sub_ids)),
                        ] + Assignment.active_domain(today)):
                category = assignment.effective_category
                if not category:
                    continue
                employee = assignment.employee.id
                if category.rank > ranks.get(employee, -1):
                    ranks[employee] = category.rank
                    result[employee] = category.id
        return result

    @fields.depends('nir', 'sex', 'birth_date')
    def on_change_nir(self):
        if self.nir:
            self.nir = self.nir.replace(' ', '').upper()

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('nir'):
            values['nir'] = values['nir'].replace(' ', '').upper()
        return values

    @classmethod
    def validate_fields(cls, employees, field_names):
        super().validate_fields(employees, field_names)
        if field_names & {'nir', 'sex', 'birth_date'}:
            for employee in employees:
                employee.check_nir()

    def check_nir(self):
        "The NIR has a valid key and agrees with the sex and birth date."
        nir = check_identifier('nir', self, 'nir')
        if not nir:
            return
        sex_digit = nir[0]
        year, month = nir[1:3], nir[3:5]
        consistent = (
            (self.sex == 'I' or sex_digit in {'7', '8'}
                or sex_digit == {'M': '1', 'F': '2'}[self.sex])
            and int(year) == self.birth_date.year % 100
            # Months 20-42 and 99 are used when the month is unknown.
            and (int(month) == self.birth_date.month
                or not 1 <= int(month) <= 12))
        if not consistent:
            raise MemberValidationError(gettext(
                    'spsti_adherent.msg_nir_inconsistent',
                    nir=self.nir, employee=self.rec_name))

    @classmethod
    def find_duplicates(cls, employees):
        """Pairs of employees sharing a NIR, or a birth name, first name
        and birth date (identity vigilance)."""
        keys = {}
        duplicates = []
        for employee in employees:
            for key in employee._duplicate_keys():
                if key in keys and keys[key] != employee:
                    duplicates.append((keys[key], employee))
                keys.setdefault(key, employee)
        return duplicates

    def _duplicate_keys(self):
        if self.nir:
            yield ('nir', self.nir)
        yield ('identity', self.last_name.upper(), self.first_name.upper(),
            self.birth_date)
