"Professions des membres de l'équipe pluridisciplinaire."
from trytond.model import ModelSQL, ModelView, Unique, fields


class Profession(ModelSQL, ModelView):
    """Profession (médecin du travail, infirmier, IPRP, ASST…).

    The flags decide who may read health data and who may sign a medical
    opinion; they are data, shipped with the module."""
    __name__ = 'spsti.profession'
    __string__ = "Profession"
    code = fields.Char("Code", required=True, strip=True)
    name = fields.Char("Name", required=True, translate=True)
    health_professional = fields.Boolean(
        "Health Professional",
        help="Member of the medical secrecy circle: may read health data.")
    doctor = fields.Boolean(
        "Doctor", help="May perform medical aptitude exams and lead a team.")
    has_speciality = fields.Boolean(
        "Has Speciality", help="Speciality required (IPRP).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'spsti_base.msg_thesaurus_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))
