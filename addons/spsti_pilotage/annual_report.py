"""Rapport annuel d'activité et enquête DGT: the measures of the service
for a period, by family, with their definitions; a spreadsheet (ODS) and
a PDF document from the same records."""
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction

from .indicator import FAMILIES


class AnnualReport(Report):
    """Printed from the measures selected, or the latest service measures
    when none is."""
    __name__ = 'spsti.pilotage.annual_report'

    @classmethod
    def _get_records(cls, ids, model, data):
        Measure = Pool().get('spsti.indicator.measure')
        if not ids:
            latest = Measure.search(
                [('scope', '=', 'service')], order=[('to_date', 'DESC')],
                limit=1)
            if latest:
                ids = [m.id for m in Measure.search([
                            ('scope', '=', 'service'),
                            ('from_date', '=', latest[0].from_date),
                            ('to_date', '=', latest[0].to_date),
                            ])]
        return super()._get_records(ids, 'spsti.indicator.measure', data)

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Company = pool.get('company.company')
        context = super().get_context(records, header, data)
        company_id = Transaction().context.get('company')
        context['company'] = Company(company_id) if company_id else None
        context['period'] = ', '.join(sorted({
                    f'{m.from_date:%d/%m/%Y} – {m.to_date:%d/%m/%Y}'
                    for m in records}))
        records = sorted(records, key=lambda m: (
                m.indicator.sequence or 0, m.indicator.code,
                m.rec_name))
        context['families'] = [
            (family, label, [m for m in records
                    if m.indicator.family == family])
            for family, label in cls.family_labels()]
        context['families'] = [f for f in context['families'] if f[2]]
        context['number'] = cls.format_number
        context['figure'] = cls.format_figure
        return context

    @classmethod
    def family_labels(cls):
        "The families with their label in the language of the report."
        Indicator = Pool().get('spsti.indicator')
        selection = dict(Indicator.fields_get(['family'])['family'][
                'selection'])
        return [(f, selection[f]) for f, _ in FAMILIES]

    @staticmethod
    def format_number(value):
        if value is None:
            return ''
        return f'{value:,.0f}'.replace(',', '\u202f')

    @classmethod
    def format_figure(cls, measure):
        if measure.value is None:
            return ''
        if measure.indicator.unit == 'rate':
            return f'{measure.value * 100:.1f} %'.replace('.', ',')
        if measure.indicator.unit == 'days':
            return f'{measure.value:.1f} j'.replace('.', ',')
        return cls.format_number(measure.value)
