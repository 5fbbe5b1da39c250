"The questionnaire leaves with the convocation and falls with the visit."
from trytond.model import Workflow
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access


class VisitRequest(metaclass=PoolMeta):
    __name__ = 'spsti.visit.request'

    @classmethod
    @Workflow.transition('planned')
    def plan(cls, requests):
        """Booked into a slot, the convocation is sent: so are the
        questionnaires that apply to the visit."""
        super().plan(requests)
        Pool().get('spsti.questionnaire.response').send(requests)

    @classmethod
    @Workflow.transition('cancelled')
    def cancel(cls, requests, reason=None):
        "The questionnaires of a visit called off are no longer to answer."
        Response = Pool().get('spsti.questionnaire.response')
        super().cancel(requests, reason=reason)
        with without_check_access():
            Response.cancel(Response.search([
                        ('request', 'in', [r.id for r in requests]),
                        ('state', '=', 'sent'),
                        ]))
