"""Gestion documentaire: the filing plan (types of documents with their
retention period and confidentiality) classifying the attachments of
members, establishments, employees and medical files, and the incoming
documents routed to them.

Medical documents (a medical type, or any attachment of a record of a
medical file) are read only by the health professionals, within the scope
of their teams, each read logged in the access log of the file; the
others never see them, not even in a list."""
import copy
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, tree)
from trytond.modules.spsti_base.code import CodedMixin
from trytond.modules.spsti_dmst.medical_file import MedicalRecordMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import DocumentError, DocumentTypeValidationError

RESOURCES = [
    ('spsti.member', "Member"),
    ('spsti.establishment', "Establishment"),
    ('spsti.employee', "Employee"),
    ('spsti.dmst', "Medical File"),
    ]
CONFIDENTIALITIES = [
    ('administrative', "Administrative"),
    ('medical', "Medical (medical secrecy)"),
    ]


def is_medical_model(model_name):
    "The records of model_name belong to a medical file."
    Model = Pool().get(model_name)
    return issubclass(Model, MedicalRecordMixin)


def may_read_health_data():
    "The user of the transaction may read health data."
    ModelAccess = Pool().get('ir.model.access')
    return ModelAccess.check('spsti.dmst', 'read', raise_exception=False)


class DocumentType(CodedMixin, DeactivableMixin, tree(), ModelSQL, ModelView):
    """Type de document: an entry of the filing plan (plan de classement),
    saying on which records it is filed, how long it is kept and whether
    it falls under medical secrecy or is shared with the member."""
    __name__ = 'spsti.document.type'
    __string__ = "Document Type"
    name = fields.Char("Name", required=True, translate=True)
    parent = fields.Many2One(
        'spsti.document.type', "Parent", ondelete='RESTRICT')
    childs = fields.One2Many('spsti.document.type', 'parent', "Children")
    filed_on = fields.MultiSelection(
        RESOURCES, "Filed On", required=True,
        help="The records documents of this type are attached to.")
    confidentiality = fields.Selection(
        CONFIDENTIALITIES, "Confidentiality", required=True,
        help="Medical documents are read only by the health professionals "
        "and filed on medical files.")
    retention_years = fields.Integer(
        "Retention (years)",
        domain=['OR',
            ('retention_years', '=', None),
            ('retention_years', '>', 0)],
        states={'invisible': Eval('confidentiality') == 'medical'},
        help="Years a document is kept after its date; empty: without "
        "limit. Medical documents are kept with their medical file.")
    shared_with_member = fields.Boolean(
        "Shared with the Member",
        states={'invisible': Eval('confidentiality') == 'medical'},
        help="Documents of this type filed on a member or its "
        "establishments are shown in its portal space.")
    legal_reference = fields.Char("Legal Reference")

    @classmethod
    def default_confidentiality(cls):
        return 'administrative'

    @classmethod
    def default_shared_with_member(cls):
        return False

    @classmethod
    def validate_fields(cls, types, field_names):
        super().validate_fields(types, field_names)
        if field_names & {'confidentiality', 'filed_on',
                'shared_with_member'}:
            for type_ in types:
                type_.check_confidentiality()

    def check_confidentiality(self):
        if self.confidentiality != 'medical':
            return
        if set(self.filed_on) - {'spsti.dmst'}:
            raise DocumentTypeValidationError(gettext(
                    'spsti_organisation.msg_document_type_medical_resources',
                    type=self.rec_name))
        if self.shared_with_member:
            raise DocumentTypeValidationError(gettext(
                    'spsti_organisation.msg_document_type_medical_shared',
                    type=self.rec_name))


class Attachment(metaclass=PoolMeta):
    __name__ = 'ir.attachment'
    spsti_type = fields.Many2One(
        'spsti.document.type', "Document Type", ondelete='RESTRICT',
        domain=[('filed_on', 'in', [Eval('resource_model')])],
        states={'invisible': ~Eval('resource_model').in_(
                [m for m, _ in RESOURCES])})
    resource_model = fields.Function(
        fields.Char("Resource Model"), 'on_change_with_resource_model')
    document_date = fields.Date(
        "Document Date",
        states={'invisible': ~Eval('spsti_type')},
        help="The date of the document; its retention counts from it "
        "(else from the day it was filed).")
    retention_until = fields.Date(
        "Kept Until", readonly=True,
        states={'invisible': ~Eval('retention_until')})
    spsti_medical = fields.Boolean(
        "Medical", readonly=True,
        help="Under medical secrecy: read only by the health professionals.")
    shared_with_member = fields.Function(
        fields.Boolean("Shared with the Member"),
        'get_shared_with_member', searcher='search_shared_with_member')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Reading a medical document writes the access log of its file.
        for name in ['read', 'search_read']:
            rpc = copy.copy(cls.__rpc__[name])
            rpc.readonly = False
            cls.__rpc__[name] = rpc
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.retention_until, Index.Range()),
                where=t.retention_until != None))  # noqa: E711

    @classmethod
    def default_spsti_medical(cls):
        return False

    @classmethod
    def default_spsti_type(cls):
        "The document type an incoming document gives its attachment."
        return Transaction().context.get('spsti_document_type')

    @fields.depends('resource')
    def on_change_with_resource_model(self, name=None):
        if self.resource:
            return self.resource.__name__

    def get_shared_with_member(self, name):
        return bool(self.spsti_type and self.spsti_type.shared_with_member
            and not self.spsti_medical)

    @classmethod
    def search_shared_with_member(cls, name, clause):
        _, operator, value = clause
        if (operator == '=') == bool(value):
            return [
                ('spsti_type.shared_with_member', '=', True),
                ('spsti_medical', '=', False),
                ]
        return ['OR',
            ('spsti_type', '=', None),
            ('spsti_type.shared_with_member', '=', False),
            ('spsti_medical', '=', True),
            ]

    @classmethod
    def validate_fields(cls, attachments, field_names):
        super().validate_fields(attachments, field_names)
        if field_names & {'spsti_type', 'resource'}:
            for attachment in attachments:
                attachment.check_spsti_type()

    def check_spsti_type(self):
        if not self.spsti_type or not self.resource:
            return
        model = self.resource.__name__
        if self.spsti_type.confidentiality == 'medical':
            if not is_medical_model(model):
                raise DocumentTypeValidationError(gettext(
                        'spsti_organisation.msg_attachment_medical_resource',
                        attachment=self.rec_name,
                        type=self.spsti_type.rec_name))
        elif model not in self.spsti_type.filed_on:
            raise DocumentTypeValidationError(gettext(
                    'spsti_organisation.msg_attachment_type_resource',
                    attachment=self.rec_name,
                    type=self.spsti_type.rec_name))

    @classmethod
    def on_modification(cls, mode, attachments, field_names=None):
        super().on_modification(mode, attachments, field_names=field_names)
        if mode == 'delete':
            return
        # Written directly, the stored classification is computed again:
        # nobody declassifies a medical document by a write.
        if mode == 'write' and not (field_names & {
                    'resource', 'spsti_type', 'document_date',
                    'spsti_medical', 'retention_until'}):
            return
        cls.classify(attachments)

    @classmethod
    def classify(cls, attachments):
        """Store whether each attachment is medical and until when it is
        kept, grouped in one write per value."""
        groups = defaultdict(list)
        with without_check_access():
            for attachment in cls.browse(attachments):
                type_ = attachment.spsti_type
                model = (attachment.resource.__name__
                    if attachment.resource else None)
                medical = bool(
                    (type_ and type_.confidentiality == 'medical')
                    or (model and is_medical_model(model)))
                until = None
                if type_ and type_.retention_years and not medical:
                    start = (attachment.document_date
                        or attachment.create_date.date())
                    until = start + relativedelta(years=type_.retention_years)
                if (attachment.spsti_medical, attachment.retention_until) != (
                        medical, until):
                    groups[(medical, until)].append(attachment)
            args = []
            for (medical, until), records in groups.items():
                args.extend([records, {
                            'spsti_medical': medical,
                            'retention_until': until,
                            }])
            if args:
                cls.write(*args)

    @classmethod
    def read(cls, ids, fields_names):
        cls.audit_medical(ids)
        return super().read(ids, fields_names)

    @classmethod
    def audit_medical(cls, ids):
        """A user through the client reads a medical document only within
        the scope of their teams (or an emergency access); the read is
        logged on the medical file. Others do not get this far: the
        record rule hides medical documents from them."""
        transaction = Transaction()
        if not (transaction.user and transaction.check_access and ids):
            return
        by_model = defaultdict(list)
        with without_check_access():
            for attachment in cls.browse(ids):
                if attachment.spsti_medical and attachment.resource:
                    by_model[attachment.resource.__name__].append(
                        attachment.resource.id)
        for model, resource_ids in by_model.items():
            if is_medical_model(model):
                Pool().get(model).audit(resource_ids, 'read')

    @classmethod
    def shared_with(cls, member):
        """The documents shared with member: those filed on it or on its
        establishments under a type shared with members, never a medical
        one; the newest first. For the portal, which runs as root."""
        pool = Pool()
        Establishment = pool.get('spsti.establishment')
        with without_check_access():
            resources = [str(member)] + [str(e) for e in Establishment.search(
                    [('member', '=', member.id)], order=[])]
            return cls.search([
                    ('resource', 'in', resources),
                    ('shared_with_member', '=', True),
                    ], order=[
                    ('document_date', 'DESC NULLS LAST'),
                    ('create_date', 'DESC'), ('id', 'DESC')])

    @classmethod
    def past_retention(cls, date=None):
        "The classified documents whose retention ended before date."
        Date = Pool().get('ir.date')
        return cls.search([
                ('retention_until', '<', date or Date.today()),
                ])


class DocumentIncoming(metaclass=PoolMeta):
    __name__ = 'document.incoming'
    spsti_member = fields.Many2One(
        'spsti.member', "Member", ondelete='RESTRICT',
        states={
            'invisible': Eval('type') != 'spsti_member',
            'required': ((Eval('type') == 'spsti_member')
                & (Eval('state') == 'processing')),
            'readonly': Eval('state') != 'draft',
            })
    spsti_employee = fields.Many2One(
        'spsti.employee', "Employee", ondelete='RESTRICT',
        states={
            'invisible': Eval('type') != 'spsti_employee',
            'required': ((Eval('type') == 'spsti_employee')
                & (Eval('state') == 'processing')),
            'readonly': Eval('state') != 'draft',
            })
    spsti_type = fields.Many2One(
        'spsti.document.type', "Document Type", ondelete='RESTRICT',
        domain=[
            ('filed_on', 'in', [Eval('spsti_resource_model')]),
            ],
        states={
            'invisible': ~Eval('type').in_(
                ['spsti_member', 'spsti_employee']),
            'required': (Eval('type').in_(['spsti_member', 'spsti_employee'])
                & (Eval('state') == 'processing')),
            'readonly': Eval('state') != 'draft',
            },
        help="Medical documents of an employee are filed in the medical "
        "file.")
    spsti_resource_model = fields.Function(
        fields.Char("Filed On"), 'on_change_with_spsti_resource_model')
    spsti_medical = fields.Boolean(
        "Medical", readonly=True,
        help="Under medical secrecy: seen only by the health "
        "professionals.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.type.selection.extend([
                ('spsti_member', "Member Document"),
                ('spsti_employee', "Employee Document"),
                ])

    @classmethod
    def default_spsti_medical(cls):
        return False

    @fields.depends('type', 'spsti_type')
    def on_change_with_spsti_resource_model(self, name=None):
        if self.type == 'spsti_member':
            return 'spsti.member'
        elif self.type == 'spsti_employee':
            if (self.spsti_type
                    and self.spsti_type.confidentiality == 'medical'):
                return 'spsti.dmst'
            return 'spsti.employee'

    @fields.depends('spsti_type')
    def on_change_spsti_type(self):
        self.spsti_medical = bool(self.spsti_type
            and self.spsti_type.confidentiality == 'medical')

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # Computed from the document type, never written directly.
        values.pop('spsti_medical', None)
        if 'spsti_type' in values:
            DocumentType = Pool().get('spsti.document.type')
            type_id = values['spsti_type']
            values['spsti_medical'] = bool(type_id and DocumentType(
                    type_id).confidentiality == 'medical')
        return values

    @classmethod
    def _get_results(cls):
        return super()._get_results() | {
            'spsti.member', 'spsti.employee', 'spsti.dmst'}

    @classmethod
    def proceed(cls, documents, with_children=False):
        "The attachments made take the document type of their document."
        by_type = defaultdict(list)
        for document in documents:
            by_type[document.spsti_type.id if document.spsti_type
                else None].append(document)
        for type_id, group in by_type.items():
            with Transaction().set_context(spsti_document_type=type_id):
                super().proceed(group, with_children=with_children)

    def _process_spsti_member(self):
        return self.spsti_member

    def _process_spsti_employee(self):
        MedicalFile = Pool().get('spsti.dmst')
        if self.spsti_type.confidentiality == 'medical':
            if not may_read_health_data():
                raise DocumentError(gettext(
                        'spsti_organisation.msg_incoming_medical_access',
                        document=self.rec_name))
            file, = MedicalFile.get_or_create([self.spsti_employee])
            return file
        return self.spsti_employee

