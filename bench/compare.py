#!/usr/bin/python3
"""Set a scripts/bench run beside the committed reports in bench/results.

    bench/compare.py DIR [FAMILY_DIR ...]

For every committed family (bench/results/*/results.tsv, or the
FAMILY_DIRs named) that measured some of the cells DIR/results.tsv
measured (a cell: a stack and a workload, e.g. znet-bbr rttloss-100-5),
one table: each common cell's median rate then and now, the change, and
DROP where it moved the wrong way by more than 20% (a rate that fell, an
instruction count, size or time that grew).  Cells whose unit is not a
rate to compare (the injector's frame counts) are left out.  Prints the
tables and writes them to DIR/compare.md.  A report, not a verdict: it
exits 0 whatever moved (2 on bad usage), and says so when no committed
family shares a cell with the run.
"""
import glob
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import fmt, load  # noqa: E402  (bench/report.py)

DROP_PCT = 20.0
LOWER_IS_BETTER = {'Ir/op', 'bytes', 'ms', 'us'}
NOT_COMPARED = {'frames'}


def medians(results):
    """{(stack, workload): (median rate, unit, runs)} of the cells with a
    rate."""
    out = {}
    for key, recs in results.items():
        vals = [float(kv['rate']) for _, kv in recs if 'rate' in kv]
        units = {kv.get('unit', '') for _, kv in recs if 'rate' in kv}
        if not vals or len(units) != 1:
            continue
        unit = units.pop()
        if unit in NOT_COMPARED:
            continue
        out[key] = (statistics.median(vals), unit, len(vals))
    return out


def change(old, new, unit):
    """(percent change, True if worse by more than DROP_PCT)."""
    if old == 0:
        return None, False
    pct = (new - old) / old * 100.0
    worse = -pct if unit not in LOWER_IS_BETTER else pct
    return pct, worse > DROP_PCT


def family_table(name, old_meta, old, new):
    keys = sorted(k for k in new if k in old and old[k][1] == new[k][1])
    if not keys:
        return None, 0
    rows = [f'### {name} (committed: {old_meta.get("date", "?")}, '
            f'znet {old_meta.get("znet", "?")})', '',
            '| stack | workload | unit | committed | this run | change | |',
            '|---|---|---|---|---|---|---|']
    drops = 0
    for k in keys:
        (o, unit, on), (n, _, nn) = old[k], new[k]
        pct, drop = change(o, n, unit)
        drops += drop
        rows.append('| ' + ' | '.join([
            k[0], k[1], unit, f'{fmt(o)} ({on})', f'{fmt(n)} ({nn})',
            '-' if pct is None else f'{pct:+.0f}%',
            'DROP' if drop else '']) + ' |')
    return '\n'.join(rows), drops


def main(argv):
    if len(argv) < 2 or argv[1] in ('-h', '--help'):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    run = argv[1]
    tsv = os.path.join(run, 'results.tsv')
    if not os.path.isfile(tsv):
        print(f'compare: no {tsv}', file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    fams = argv[2:] or sorted(
        os.path.dirname(p)
        for p in glob.glob(os.path.join(here, 'results', '*', 'results.tsv')))
    _, _, new_results = load(tsv)
    new = medians(new_results)
    me = os.path.realpath(run)
    out = ['# This run against the committed reports', '',
           f'Medians over the rounds (runs in parentheses); DROP: more than '
           f'{DROP_PCT:.0f}% the wrong way (bench/compare.py).', '']
    total = tables = 0
    for fam in fams:
        if os.path.realpath(fam) == me:
            continue
        path = os.path.join(fam, 'results.tsv')
        if not os.path.isfile(path):
            continue
        meta, _, old_results = load(path)
        table, drops = family_table(os.path.basename(os.path.normpath(fam)),
                                    meta, medians(old_results), new)
        if table:
            out += [table, '']
            total += drops
            tables += 1
    if not tables:
        out.append('No committed family measured any cell of this run.')
    else:
        out.append(f'{total} cell(s) marked DROP in {tables} family table(s).')
    text = '\n'.join(out) + '\n'
    with open(os.path.join(run, 'compare.md'), 'w') as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
