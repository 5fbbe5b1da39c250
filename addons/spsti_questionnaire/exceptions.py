from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class QuestionnaireValidationError(ValidationError):
    "A questionnaire or one of its questions is not consistent."


class QuestionnaireFrozenError(UserError):
    "A questionnaire already sent cannot change: a new version is made."


class AnswerError(UserError):
    "The answers given to a questionnaire are missing or not valid."


class ResponseError(UserError):
    "A response cannot change state."
