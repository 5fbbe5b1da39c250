"""Traitements de masse: progress, end, notification and access of the
batch records; on PostgreSQL, the progress seen by other transactions
while the batch is at work."""
import unittest

from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
from trytond.transaction import Transaction


class BatchTestCase(unittest.TestCase):
    "Batch progress and notification"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('spsti_base')
        with Transaction().start(DB_NAME, 0) as transaction:
            User = Pool().get('res.user')
            cls.users = [u.id for u in User.create([
                        {'login': 'batch.one', 'name': "Agent Un"},
                        {'login': 'batch.two', 'name': "Agent Deux"},
                        ])]
            transaction.commit()

    @classmethod
    def tearDownClass(cls):
        drop_db()

    def read_as(self, user, batch_id):
        "The batch as user sees it (None when hidden) and its notifications"
        with Transaction(new=True).start(DB_NAME, user) as transaction, \
                transaction.set_context(_check_access=True):
            pool = Pool()
            Batch = pool.get('spsti.batch')
            Notification = pool.get('res.notification')
            batches = Batch.search([('id', '=', batch_id)])
            batch = batches[0] if batches else None
            values = batch and (batch.state, batch.done, batch.total,
                batch.progress, batch.summary, bool(batch.ended_at))
            notifications = [(n.label, n.description, n.records)
                for n in Notification.search([('user', '=', user)])]
            return values, notifications

    def test_done_progress_and_notification(self):
        "A batch counts its progress and notifies who started it at the end"
        one, two = self.users
        with Transaction().start(DB_NAME, one) as transaction:
            Batch = Pool().get('spsti.batch')
            with Batch.run("Appel test", total=10) as batch:
                self.assertTrue(batch.id)
                self.assertFalse(batch.advance(4))
                if backend.name == 'postgresql':
                    # Other users see the progress before the end.
                    self.assertEqual(self.read_as(0, batch.id)[0][:3],
                        ('running', 4, 10))
                self.assertTrue(batch.advance(6))
                # Only the call that counts the last items says so.
                self.assertFalse(batch.advance(1))
                batch.complete(summary="10 adhérents facturés")
            batch_id = batch.id
            transaction.commit()
        values, notifications = self.read_as(one, batch_id)
        self.assertEqual(values,
            ('done', 11, 10, 1.0, "10 adhérents facturés", True))
        (label, description, records), = notifications
        self.assertIn("Appel test", label)
        self.assertEqual(description, "10 adhérents facturés")
        self.assertEqual(records, f'[{batch_id}]')
        # Another user neither sees the batch nor gets the notification.
        self.assertEqual(self.read_as(two, batch_id), (None, []))

    def test_failure_recorded(self):
        "A batch that raises ends failed with the error, notified"
        one, _ = self.users
        with self.assertRaises(ZeroDivisionError):
            with Transaction().start(DB_NAME, one):
                Batch = Pool().get('spsti.batch')
                with Batch.run("Import en échec", total=3) as batch:
                    batch_id = batch.id
                    batch.advance(1)
                    1 / 0
        with Transaction().start(DB_NAME, 0):
            batch = Pool().get('spsti.batch')(batch_id)
            self.assertEqual(batch.state, 'failed')
            self.assertIn('ZeroDivisionError', batch.error)
            self.assertTrue(batch.ended_at)
        _, notifications = self.read_as(one, batch_id)
        self.assertIn("Import en échec", notifications[0][0])
