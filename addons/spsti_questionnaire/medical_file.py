"""The responses in the medical file and beside the consultation of the
visit they were sent for."""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class MedicalFile(metaclass=PoolMeta):
    __name__ = 'spsti.dmst'
    questionnaire_responses = fields.One2Many(
        'spsti.questionnaire.response', 'file', "Questionnaire Responses",
        readonly=True)


class Consultation(metaclass=PoolMeta):
    __name__ = 'spsti.dmst.consultation'
    questionnaire_responses = fields.Function(
        fields.Many2Many(
            'spsti.questionnaire.response', None, None,
            "Questionnaire Responses",
            help="The responses to the questionnaires sent for the visit "
            "request of the consultation."),
        'get_questionnaire_responses')

    @classmethod
    def get_questionnaire_responses(cls, consultations, name):
        Response = Pool().get('spsti.questionnaire.response')
        result = {c.id: [] for c in consultations}
        by_request = {}
        for consultation in consultations:
            if consultation.request:
                by_request.setdefault(consultation.request.id, []).append(
                    consultation.id)
        for response in Response.search([
                    ('request', 'in', list(by_request)),
                    ], order=[('id', 'ASC')]):
            for consultation in by_request[response.request.id]:
                result[consultation].append(response.id)
        return result
