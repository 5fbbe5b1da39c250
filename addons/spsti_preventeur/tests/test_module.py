from trytond.tests.test_tryton import ModuleTestCase


class SpstiPreventeurTestCase(ModuleTestCase):
    "Test spsti_preventeur module"
    module = 'spsti_preventeur'


del ModuleTestCase
