from trytond.modules.spsti_base.exceptions import ThesaurusImportError
from trytond.modules.spsti_base.tests.tools import load_lists
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


class ThesaurusImportTestCase(ModuleTestCase):
    "Import of thésaurus and rule tables from CSV"
    module = 'spsti_base'

    @with_transaction()
    def test_bad_lines_reported_good_lines_kept(self):
        "Every bad line is reported by number and column; good lines are kept"
        pool = Pool()
        Risk = pool.get('spsti.risk')
        data = (
            "code,name,parent,kind,start_date\n"
            "T1,Risque test,,physical,2020-01-01\n"
            "T1.A,Sous-risque,T1,physical,\n"
            ",Sans code,,physical,\n"
            "T2,Date fausse,,physical,31/12/2020\n"
            "T3,Genre inconnu,,cosmic,\n"
            "T1,Doublon,,physical,\n"
            "T4,Parent absent,NOPE,physical,\n"
            "T4.A,Enfant d'un rejet,T4,physical,\n"
            ).encode('utf-8')
        report = Risk.import_csv(data, 'risques.csv')

        self.assertEqual((report.created, report.updated), (2, 0))
        self.assertEqual(
            [(e.line, e.field) for e in report.errors],
            [(4, 'code'), (5, 'start_date'), (6, 'kind'), (7, 'code'),
                (8, 'parent'), (9, 'parent')])
        text = str(report)
        self.assertIn('risques.csv', text)
        self.assertIn('31/12/2020', text)
        self.assertIn('cosmic', text)
        child, = Risk.search([('code', '=', 'T1.A')])
        self.assertEqual(child.parent.code, 'T1')
        self.assertFalse(Risk.search([('code', 'in', ['T2', 'T4', 'T4.A'])]))

    @with_transaction()
    def test_rerun_updates_without_duplicates(self):
        "Importing again matches on the code: no duplicate, changes applied"
        pool = Pool()
        Advice = pool.get('spsti.advice.type')
        first = b"code,name,audience\nA1,Conseil,both\nA2,Autre,employee\n"
        Advice.import_csv(first, 'a.csv')
        report = Advice.import_csv(
            b"code,name,audience\nA1,Conseil revu,both\nA2,Autre,employee\n",
            'a.csv')
        self.assertEqual((report.created, report.updated), (0, 1))
        self.assertEqual(Advice.search_count([('code', 'in', ['A1', 'A2'])]), 2)
        a1, = Advice.search([('code', '=', 'A1')])
        self.assertEqual(a1.name, "Conseil revu")

    @with_transaction()
    def test_missing_and_unknown_columns(self):
        "A file without a required column or with an unknown one is refused"
        pool = Pool()
        Job = pool.get('spsti.job')
        with self.assertRaisesRegex(ThesaurusImportError, 'level'):
            Job.import_csv(b"code,name\n382a,Architectes\n", 'pcs.csv')
        with self.assertRaisesRegex(ThesaurusImportError, 'colour'):
            Job.import_csv(
                b"code,name,level,colour\n382a,Architectes,profession,red\n",
                'pcs.csv')

    @with_transaction()
    def test_not_utf8(self):
        "A file in another encoding is refused with its name"
        pool = Pool()
        VisitType = pool.get('spsti.visit.type')
        with self.assertRaisesRegex(ThesaurusImportError, 'visites.csv'):
            VisitType.import_csv(
                "code,name\nX,Visite à part\n".encode('latin-1'),
                'visites.csv')

    @with_transaction()
    def test_rule_table_all_or_nothing(self):
        "A rule table with one bad line imports nothing and lists the lines"
        pool = Pool()
        Rule = pool.get('spsti.follow_up.rule')
        load_lists()
        count = Rule.search_count([])
        data = (
            "code,category,risk,condition,start_date\n"
            "NEW-1,SIR,PHYS.BRUIT,,2027-01-01\n"
            "NEW-2,SIR,PHYS.BRUIT,night_work,2027-01-01\n"
            "NEW-3,XYZ,PHYS.BRUIT,,2027-01-01\n"
            ).encode('utf-8')
        with self.assertRaises(ThesaurusImportError) as cm:
            Rule.import_csv(data, 'regles.csv')
        message = cm.exception.message
        self.assertIn('Line 3', message)
        self.assertIn('Line 4', message)
        self.assertIn('XYZ', message)
        self.assertEqual(Rule.search_count([]), count)

    @with_transaction()
    def test_import_wizard(self):
        "The wizard imports an uploaded file and shows the report"
        pool = Pool()
        Import = pool.get('spsti.thesaurus.import', type='wizard')
        Action = pool.get('spsti.workplace_action.type')
        session_id, _, _ = Import.create()
        wizard = Import(session_id)
        wizard.start.model = 'spsti.workplace_action.type'
        wizard.start.source = 'file'
        wizard.start.file = (
            b"code,name,primary_prevention,awareness\n"
            b"ATELIER,Atelier collectif,1,oui\n"
            b"BAD,Mauvais,peut-etre,0\n")
        wizard.start.filename = 'amt.csv'
        self.assertEqual(wizard.transition_import_(), 'result')
        self.assertIn('Line 3', wizard.result.report)
        atelier, = Action.search([('code', '=', 'ATELIER')])
        self.assertTrue(atelier.awareness)

    @with_transaction()
    def test_french_messages(self):
        "Import errors are translated"
        pool = Pool()
        Advice = pool.get('spsti.advice.type')
        Lang = pool.get('ir.lang')
        fr, = Lang.search([('code', '=', 'fr')])
        Lang.load_translations([fr])
        with Transaction().set_context(language='fr'):
            report = Advice.import_csv(
                b"code,name,audience\nA1,Conseil,tous\n", 'a.csv')
            self.assertIn('Ligne 2', str(report))


del ModuleTestCase
