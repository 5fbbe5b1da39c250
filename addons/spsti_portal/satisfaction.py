"""Satisfaction: the answers to the questions asked at the end of an online
membership (the process, the information received) or of a declaration,
for the service's indicators."""
import datetime as dt

from sql import Cast, Literal
from sql.aggregate import Count, Sum

from trytond.model import ModelSQL, ModelView, fields
from trytond.transaction import Transaction

CONTEXTS = [
    ('adhesion', "Online membership"),
    ('adhesion_information', "Information received at membership"),
    ('declaration', "Workforce declaration"),
    ]
SCORES = [
    ('1', "Very dissatisfied"),
    ('2', "Dissatisfied"),
    ('3', "Neutral"),
    ('4', "Satisfied"),
    ('5', "Very satisfied"),
    ]


class Satisfaction(ModelSQL, ModelView):
    __name__ = 'spsti.portal.satisfaction'
    __string__ = "Portal Satisfaction"
    web_user = fields.Many2One(
        'web.user', "Portal User", readonly=True, ondelete='SET NULL')
    member = fields.Many2One(
        'spsti.member', "Member", readonly=True, ondelete='CASCADE')
    context = fields.Selection(CONTEXTS, "Context", required=True,
        readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    score = fields.Selection(SCORES, "Score", required=True, readonly=True)
    comment = fields.Text("Comment", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return dt.date.today()

    @classmethod
    def average(cls, context, start, end):
        "The mean score and the answers of context from start to end."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                Sum(Cast(table.score, cls.id.sql_type().base)),
                Count(Literal(1)),
                where=(table.context == context)
                & (table.date >= start) & (table.date <= end)))
        total, answers = cursor.fetchone()
        if not answers:
            return None, 0
        return total / answers, answers
