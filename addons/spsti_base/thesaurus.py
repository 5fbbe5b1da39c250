"""Thésaurus: the coded lists shared by the whole service (risks, jobs,
activities, visit, advice and workplace-action types)."""
from trytond.model import DeactivableMixin, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .code import CodedMixin
from .csv_import import CSVImportMixin, CharColumn, DateColumn
from .validity import ValidityMixin


class ThesaurusMixin(
        CodedMixin, DeactivableMixin, ValidityMixin, CSVImportMixin):
    """A coded entry of a national or service list.

    Concrete models declare their own parent / childs fields."""
    __slots__ = ()
    name = fields.Char("Label", required=True)
    description = fields.Text("Description")

    @classmethod
    def _csv_columns(cls):
        return super()._csv_columns() | {
            'name': CharColumn('name', required=True),
            'description': CharColumn('description'),
            'start_date': DateColumn('start_date'),
            'end_date': DateColumn('end_date'),
            }


def importable_models():
    "The models that CSVImportMixin can load, as a selection."
    pool = Pool()
    result = []
    for name, Model in pool.iterobject():
        if issubclass(Model, CSVImportMixin) and Model._csv_file:
            result.append((name, Model.__names__()['model']))
    return sorted(result, key=lambda x: x[1])


class ThesaurusImportStart(ModelView):
    __name__ = 'spsti.thesaurus.import.start'
    __string__ = "Import a List"
    model = fields.Selection('get_models', "List", required=True)
    source = fields.Selection([
            ('shipped', "List shipped with the software"),
            ('file', "CSV file"),
            ], "Source", required=True)
    file = fields.Binary(
        "File", filename='filename',
        states={
            'required': Eval('source') == 'file',
            'invisible': Eval('source') != 'file',
            },
        help="UTF-8 CSV with a header line; rows are matched on their code.")
    filename = fields.Char("File Name", readonly=True)

    @classmethod
    def get_models(cls):
        return importable_models()

    @classmethod
    def default_source(cls):
        return 'shipped'


class ThesaurusImportResult(ModelView):
    __name__ = 'spsti.thesaurus.import.result'
    __string__ = "Import a List Result"
    report = fields.Text("Report", readonly=True)


class ThesaurusImport(Wizard):
    "Import a thésaurus or a rule table"
    __name__ = 'spsti.thesaurus.import'
    start = StateView('spsti.thesaurus.import.start',
        'spsti_base.thesaurus_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView('spsti.thesaurus.import.result',
        'spsti_base.thesaurus_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        Model = Pool().get(self.start.model)
        if self.start.source == 'shipped':
            report = Model.import_shipped()
        else:
            report = Model.import_csv(
                self.start.file, self.start.filename or Model._csv_file)
        self.result.report = str(report)
        return 'result'

    def default_result(self, fields):
        return {'report': self.result.report}


# Shipped lists in load order: rule tables reference risks and visit types.
SHIPPED_LISTS = [
    'spsti.risk',
    'spsti.job',
    'spsti.activity',
    'spsti.visit.type',
    'spsti.advice.type',
    'spsti.workplace_action.type',
    'spsti.follow_up.rule',
    'spsti.periodicity.rule',
    ]


def load_shipped_lists():
    """Load or refresh every list shipped with the module; returns the
    reports. Safe to rerun: rows are matched on their code."""
    pool = Pool()
    return [pool.get(name).import_shipped() for name in SHIPPED_LISTS]
