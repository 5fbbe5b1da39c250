"SIREN and SIRET kept as party_siret identifiers of a party or an address."
from trytond.pool import Pool


def set_identifiers(owners, type_, value):
    """Give each (party, address, current identifier) of owners the code
    value for type_, or remove the identifier when value is empty."""
    Identifier = Pool().get('party.identifier')
    to_save, to_delete = [], []
    for party, address, current in owners:
        if not value:
            if current:
                to_delete.append(current)
            continue
        if not current:
            current = Identifier(party=party, address=address, type=type_)
        current.code = value
        to_save.append(current)
    Identifier.delete(to_delete)
    Identifier.save(to_save)
