"Direct debits of the members' companies."
from trytond.pool import PoolMeta


class PartyReceptionDirectDebit(metaclass=PoolMeta):
    __name__ = 'party.party.reception_direct_debit'

    @property
    def account_number(self):
        """The debited account of the mandate: the CII template of
        edocument_uncefact 8.0 reads it on the instrument of a direct
        debit payment mean (the IBAN of the Factur-X BT-91)."""
        if self.sepa_mandate:
            return self.sepa_mandate.account_number
