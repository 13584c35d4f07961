#!/usr/bin/python3
"""Turn a scripts/bench run (DIR/results.tsv) into DIR/report.md and PNG plots.

    bench/report.py DIR
    bench/report.py --rttloss-spread DIR   (each rttloss cell's runs, one
                                            by one: bench/rttloss.sh)

results.tsv has one record per line, tab-separated:
    meta    KEY     VALUE
    quiet   ROUND   1|0     BUSY%,BUSY%     (was the machine quiet)
    result  ROUND   STACK   WORKLOAD        "znb mode=... key=value ..."
Medians are over the rounds; min-max beside them.  Plots need matplotlib
(Debian's python3-matplotlib); without it the report is written without
them and says so.
"""
import os
import statistics
import sys

STACKS = ['znet', 'znet-plain', 'lwip', 'linux-off', 'linux-on', 'memlink']
WIRE = ['znet', 'znet-plain', 'lwip', 'linux-off', 'linux-on']
STACK_TITLE = {
    'znet': 'znet (TAP, offloads)',
    'znet-plain': 'znet (TAP, no offloads)',
    'lwip': 'lwIP 2.1 (TAP)',
    'linux-off': 'Linux veth, offloads off',
    'linux-on': 'Linux veth, offloads on',
    'memlink': 'znet<->znet memlink',
}
WORKLOADS = [
    ('tcp-send', 'TCP bulk, Linux -> stack'),
    ('tcp-recv', 'TCP bulk, stack -> Linux'),
    ('udp-rr-1', 'UDP echo 64 B, 1 in flight'),
    ('udp-rr-16', 'UDP echo 64 B, 16 in flight'),
    ('tcp-rr', 'TCP request/response 64 B'),
    ('tcp-crr-1', 'TCP connect+close, 1 in flight'),
    ('tcp-crr-16', 'TCP connect+close, 16 in flight'),
]
LOSSES = ['0', '0.1', '1', '5', '10']
RTTS = ['0', '10', '100']


def parse_line(line):
    kv = {}
    for tok in line.split()[1:]:
        if '=' in tok:
            k, v = tok.split('=', 1)
            kv[k] = v
    return kv


def load(path):
    meta, quiet, results = {}, [], {}
    with open(path) as f:
        for raw in f:
            p = raw.rstrip('\n').split('\t')
            if p[0] == 'meta' and len(p) >= 3:
                meta[p[1]] = p[2]
            elif p[0] == 'quiet' and len(p) >= 4:
                quiet.append((p[1], p[2] == '1', p[3]))
            elif p[0] == 'result' and len(p) >= 5:
                kv = parse_line(p[4])
                results.setdefault((p[2], p[3]), []).append((p[1], kv))
    return meta, quiet, results


def rates(results, stack, wl, rounds=None):
    return [float(kv['rate']) for r, kv in results.get((stack, wl), [])
            if 'rate' in kv and (rounds is None or r in rounds)]


def fmt(v):
    if v >= 100:
        return f'{v:,.0f}'
    if v >= 10:
        return f'{v:.1f}'
    return f'{v:.2f}'


def cell(vals):
    if not vals:
        return '-'
    m = statistics.median(vals)
    if len(vals) == 1:
        return fmt(m)
    return f'{fmt(m)} ({fmt(min(vals))}-{fmt(max(vals))})'


def ratio(a, b):
    if not a or not b:
        return '-'
    mb = statistics.median(b)
    return f'{statistics.median(a) / mb:.2f}' if mb else '-'


def unit_of(results, wl):
    for s in STACKS:
        for _, kv in results.get((s, wl), []):
            if 'unit' in kv:
                return kv['unit']
    return ''


def main_table(results, rounds=None):
    head = ('| workload | unit | ' + ' | '.join(STACK_TITLE[s] for s in STACKS)
            + ' | znet/lwIP | znet no offloads/lwIP | znet/Linux off | znet/Linux on |')
    out = [head, '|' + '---|' * (len(STACKS) + 6)]
    for wl, title in WORKLOADS:
        z = rates(results, 'znet', wl, rounds)
        row = [title, unit_of(results, wl)]
        row += [cell(rates(results, s, wl, rounds)) for s in STACKS]
        row += [ratio(z, rates(results, 'lwip', wl, rounds)),
                ratio(rates(results, 'znet-plain', wl, rounds),
                      rates(results, 'lwip', wl, rounds)),
                ratio(z, rates(results, 'linux-off', wl, rounds)),
                ratio(z, rates(results, 'linux-on', wl, rounds))]
        out.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(out)


def v6_table(results, rounds=None):
    """The same workloads over IPv6 (WORKLOAD-v6), the stacks on the wire,
    with znet's ratios to lwIP and Linux as in the IPv4 table."""
    head = ('| workload (IPv6) | unit | ' + ' | '.join(STACK_TITLE[s] for s in WIRE)
            + ' | znet/lwIP | znet no offloads/lwIP | znet/Linux off | znet/Linux on |')
    out = [head, '|' + '---|' * (len(WIRE) + 6)]
    have = False
    for wl, title in WORKLOADS:
        w6 = wl + '-v6'
        z = rates(results, 'znet', w6, rounds)
        have = have or any(rates(results, s, w6, rounds) for s in WIRE)
        row = [title, unit_of(results, w6)]
        row += [cell(rates(results, s, w6, rounds)) for s in WIRE]
        row += [ratio(z, rates(results, 'lwip', w6, rounds)),
                ratio(rates(results, 'znet-plain', w6, rounds),
                      rates(results, 'lwip', w6, rounds)),
                ratio(z, rates(results, 'linux-off', w6, rounds)),
                ratio(z, rates(results, 'linux-on', w6, rounds))]
        out.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(out) if have else ''


def v6_ratio_table(results, rounds=None):
    """IPv6 over IPv4, per stack and workload (medians' ratio)."""
    out = ['| IPv6/IPv4 | ' + ' | '.join(STACK_TITLE[s] for s in WIRE) + ' |',
           '|---|' + '---|' * len(WIRE)]
    for wl, title in WORKLOADS:
        row = [title]
        row += [ratio(rates(results, s, wl + '-v6', rounds),
                      rates(results, s, wl, rounds)) for s in WIRE]
        out.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(out)


def cpu_table(results):
    """The server's CPU time per run: user space and kernel, medians."""
    out = ['| workload | ' + ' | '.join(STACK_TITLE[s] for s in WIRE) + ' |',
           '|---|' + '---|' * len(WIRE)]
    have = False
    for wl, title in WORKLOADS:
        row = [title]
        for s in WIRE:
            kvs = [kv for _, kv in results.get((s, wl), [])
                   if 'srv_user_s' in kv and 'srv_sys_s' in kv]
            if not kvs:
                row.append('-')
                continue
            have = True
            u = statistics.median(float(kv['srv_user_s']) for kv in kvs)
            k = statistics.median(float(kv['srv_sys_s']) for kv in kvs)
            share = f'{100 * k / (u + k):.0f}%' if u + k > 0 else '-'
            row.append(f'{u:.2f} / {k:.2f} ({share})')
        out.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(out) if have else ''


HTTP_WORKLOADS = [
    ('http-1k', 'HTTP keep-alive, 1 KiB file, 32 conns', 'rps', 'req/s'),
    ('https-1k', 'HTTPS keep-alive, 1 KiB file, 32 conns', 'rps', 'req/s'),
    ('http-10m', 'HTTP 10 MiB file, 4 conns', 'mbps', 'Mbit/s'),
    ('http-close', 'HTTP new connection per request (Connection: close)',
     'rps', 'conn/s'),
    ('https-hs', 'HTTPS full handshake per request (X25519, ECDSA P-256; '
     'openssl s_time -new, 8 processes)', 'rps', 'handshakes/s'),
    ('https-resume', 'HTTPS resumed handshake per request (TLS 1.3 ticket, '
     'X25519; openssl s_time -reuse, 8 processes)', 'rps', 'handshakes/s'),
]


def http_vals(results, stack, wl, key):
    return [float(kv[key]) for _, kv in results.get((stack, wl), [])
            if key in kv]


def us_per_op_by_round(results, stack, wl, key, field, scale):
    """(round, us per operation) for each run with field, key and secs:
    field * scale seconds of CPU over rps * secs operations."""
    out = []
    for r, kv in results.get((stack, wl), []):
        if not all(k in kv for k in (field, 'secs', key)):
            continue
        ops = float(kv[key]) * float(kv['secs'])
        if ops > 0:
            out.append((r, 1e6 * float(kv[field]) * scale(kv) / ops))
    return out


def srv_us_per_op(results, stack, wl, key):
    """The server core's busy time per operation (us), for each run:
    cpu_srv % of secs over the operations (rps * secs).  /proc/stat's
    tick samples (bench/http.sh's proc_cpu says how they alias)."""
    return [v for _, v in us_per_op_by_round(
        results, stack, wl, key, 'cpu_srv',
        lambda kv: float(kv['secs']) / 100)]


def proc_us_by_round(results, stack, wl, key):
    """The server process's own CPU time per operation (us), by round:
    srv_cpu seconds (schedstat, exact) over rps * secs."""
    return dict(us_per_op_by_round(results, stack, wl, key, 'srv_cpu',
                                   lambda kv: 1.0))


def proc_us_per_op(results, stack, wl, key):
    """proc_us_by_round's values, for each run."""
    return list(proc_us_by_round(results, stack, wl, key).values())


def paired_ratio(results, wl, key):
    """nginx's exact cost over znet-httpd's within each round (the two
    runs minutes apart at most, so a slow phase of the host weighs on
    both): the median over rounds (min-max), and how many rounds."""
    z = proc_us_by_round(results, 'znet-httpd', wl, key)
    n = proc_us_by_round(results, 'nginx', wl, key)
    rs = [n[r] / z[r] for r in z if r in n and z[r] > 0]
    if not rs:
        return '-'
    m = statistics.median(rs)
    if len(rs) == 1:
        return f'{m:.2f}'
    return f'{m:.2f} ({min(rs):.2f}-{max(rs):.2f}, {len(rs)} rounds)'


def http_cpu_table(results):
    """What each server's core spent per request or handshake, and the
    rate one core would sustain at that cost: the ratio is nginx's cost
    over znet-httpd's (above 1, znet is cheaper)."""
    out = ['| workload | server CPU us per op (process, exact): '
           'znet-httpd | nginx | nginx/znet-httpd (capacity ratio) '
           '| the same ratio within each round '
           '| server core us per op (tick samples): znet-httpd | nginx '
           '| nginx/znet-httpd '
           '| busy % server core (znet-httpd, nginx) '
           '| busy % client core (znet-httpd, nginx) |',
           '|---|---|---|---|---|---|---|---|---|---|']
    have = False
    for wl, title, key, unit in HTTP_WORKLOADS:
        if key != 'rps':
            continue
        z = srv_us_per_op(results, 'znet-httpd', wl, key)
        n = srv_us_per_op(results, 'nginx', wl, key)
        pz = proc_us_per_op(results, 'znet-httpd', wl, key)
        pn = proc_us_per_op(results, 'nginx', wl, key)
        if not (z or n):
            continue
        have = True

        def med(stack, k):
            v = http_vals(results, stack, wl, k)
            return fmt(statistics.median(v)) if v else '-'
        out.append('| ' + ' | '.join([
            title, cell(pz), cell(pn), ratio(pn, pz) if pz and pn else '-',
            paired_ratio(results, wl, key), cell(z), cell(n), ratio(n, z),
            f'{med("znet-httpd", "cpu_srv")}, {med("nginx", "cpu_srv")}',
            f'{med("znet-httpd", "cpu_cli")}, {med("nginx", "cpu_cli")}'])
            + ' |')
    return '\n'.join(out) if have else ''


def http_table(results):
    """znet-httpd against nginx under wrk: medians (min-max), p99
    latency, errors, and the ratio of the medians."""
    out = ['| workload | unit | znet-httpd | nginx | znet-httpd/nginx '
           '| p99 ms znet-httpd | p99 ms nginx | errors (znet-httpd, nginx) |',
           '|---|---|---|---|---|---|---|---|']
    have = False
    for wl, title, key, unit in HTTP_WORKLOADS:
        z = http_vals(results, 'znet-httpd', wl, key)
        n = http_vals(results, 'nginx', wl, key)
        have = have or bool(z or n)
        pz = http_vals(results, 'znet-httpd', wl, 'p99_ms')
        pn = http_vals(results, 'nginx', wl, 'p99_ms')
        ez = int(sum(http_vals(results, 'znet-httpd', wl, 'errors')))
        en = int(sum(http_vals(results, 'nginx', wl, 'errors')))
        out.append('| ' + ' | '.join([
            title, unit, cell(z), cell(n), ratio(z, n),
            fmt(statistics.median(pz)) if pz else '-',
            fmt(statistics.median(pn)) if pn else '-',
            f'{ez}, {en}']) + ' |')
    for key, title in (('plain_bytes', 'memory per connection, HTTP'),
                       ('tls_bytes', 'memory per connection, HTTPS')):
        z = http_vals(results, 'znet-httpd', 'mem-conn', key)
        n = http_vals(results, 'nginx', 'mem-conn', key)
        if z or n:
            out.append('| ' + ' | '.join([
                title, 'bytes', cell(z), cell(n), ratio(z, n), '-', '-',
                '-']) + ' |')
    return '\n'.join(out) if have else ''


def dot_table(results):
    """znet-dns-blocker's DoT against unbound's under dnsperf -m dot."""
    rows = [('dot-mem', 'answers from memory (cache / local data)'),
            ('dot-fwd', 'blocker forwarding every query over DoT '
             '(--cache 0)')]
    out = ['| workload | znet-dns-blocker QPS | unbound QPS '
           '| blocker/unbound | avg latency ms (blocker, unbound) '
           '| lost (blocker, unbound) |',
           '|---|---|---|---|---|---|']
    have = False
    for wl, title in rows:
        z = http_vals(results, 'znet-dns-blocker', wl, 'rps')
        n = http_vals(results, 'unbound', wl, 'rps')
        have = have or bool(z or n)
        lz = http_vals(results, 'znet-dns-blocker', wl, 'p50_ms')
        ln = http_vals(results, 'unbound', wl, 'p50_ms')
        out.append('| ' + ' | '.join([
            title, cell(z), cell(n), ratio(z, n),
            f'{fmt(statistics.median(lz)) if lz else "-"}, '
            f'{fmt(statistics.median(ln)) if ln else "-"}',
            f'{int(sum(http_vals(results, "znet-dns-blocker", wl, "lost")))}, '
            f'{int(sum(http_vals(results, "unbound", wl, "lost")))}'])
            + ' |')
    return '\n'.join(out) if have else ''


POSIX_WORKLOADS = [
    ('redis-set', 'redis SET, 50 clients', 'rps', 'req/s'),
    ('redis-get', 'redis GET, 50 clients', 'rps', 'req/s'),
    ('redis-set-p16', 'redis SET, 50 clients, pipelined 16', 'rps', 'req/s'),
    ('redis-get-p16', 'redis GET, 50 clients, pipelined 16', 'rps', 'req/s'),
    ('nginx-1k', 'nginx, 1 KiB keep-alive, 32 conns (wrk)', 'rps', 'req/s'),
    ('curl-100m', 'curl, 100 MiB from nginx (lower is better)', 'xfer_secs',
     'ms'),
]


def cpu_per_op(results, stack, wl, key):
    """Both cores' busy time per operation (us), the median over runs:
    (cpu_srv + cpu_cli) % of secs, over the operations (rps * secs, or
    one transfer)."""
    vals = []
    for _, kv in results.get((stack, wl), []):
        if not all(k in kv for k in ('cpu_srv', 'cpu_cli', 'secs', key)):
            continue
        busy = (float(kv['cpu_srv']) + float(kv['cpu_cli'])) / 100
        secs = float(kv['secs'])
        ops = float(kv[key]) * secs if key == 'rps' else 1
        if ops > 0:
            vals.append(1e6 * busy * secs / ops)
    return vals


def posix_table(results):
    """Programs under znet-run against the same on the kernel: medians
    (min-max), the ratio (the target: 1.2x the kernel's rate, or 1/1.2 of
    its time), each core's busy share and both cores' CPU per operation."""
    out = ['| workload | unit | znet | Linux | znet vs Linux '
           '| busy % server core (znet, Linux) '
           '| busy % client core (znet, Linux) '
           '| CPU us per op, both cores (znet, Linux) |',
           '|---|---|---|---|---|---|---|---|']
    have = False
    for wl, title, key, unit in POSIX_WORKLOADS:
        z = http_vals(results, 'znet', wl, key)
        n = http_vals(results, 'linux', wl, key)
        have = have or bool(z or n)
        # A time: the kernel's over znet's, so above 1 is znet ahead.
        r = ratio(n, z) if key == 'xfer_secs' else ratio(z, n)
        if key == 'xfer_secs':
            z, n = [1000 * v for v in z], [1000 * v for v in n]

        def med(vals):
            return fmt(statistics.median(vals)) if vals else '-'
        out.append('| ' + ' | '.join([
            title, unit, cell(z), cell(n), r,
            f'{med(http_vals(results, "znet", wl, "cpu_srv"))}, '
            f'{med(http_vals(results, "linux", wl, "cpu_srv"))}',
            f'{med(http_vals(results, "znet", wl, "cpu_cli"))}, '
            f'{med(http_vals(results, "linux", wl, "cpu_cli"))}',
            f'{med(cpu_per_op(results, "znet", wl, key))}, '
            f'{med(cpu_per_op(results, "linux", wl, key))}']) + ' |')
    return '\n'.join(out) if have else ''


def pxcost_table(results):
    """The socket layer's cost per call on a ready socket (znb-pxcost):
    instructions under callgrind, and time against the kernel's call."""
    out = ['| call (64 bytes, ready socket, non-blocking) | instructions '
           '| of which the layer (px_*, zn_posix_*) '
           '| with the preload\'s mutex | ns znet | ns Linux '
           '| Linux/znet (time) |',
           '|---|---|---|---|---|---|---|']
    have = False
    for op in ('recv', 'send'):
        kvs = [kv for _, kv in results.get(('znet', f'pxcost-{op}'), [])]
        if not kvs:
            continue
        have = True
        kv = kvs[-1]
        z, n = float(kv.get('znet_ns', 0)), float(kv.get('linux_ns', 0))
        out.append('| ' + ' | '.join([
            f'{op}()', kv.get('ir', '-'), kv.get('ir_layer', '-'),
            kv.get('ir_locked', '-'), fmt(z), fmt(n),
            f'{n / z:.1f}' if z > 0 else '-']) + ' |')
    return '\n'.join(out) if have else ''


# ---- scripts/bench --only shards (bench/shards.sh) ----

SHARDS_WORKLOADS = [
    ('shards-1k-w1', '1 KiB keep-alive, 1 worker'),
    ('shards-1k-w2', '1 KiB keep-alive, 2 workers'),
    ('shards-close-w1', '1 KiB, a connection per request, 1 worker'),
    ('shards-close-w2', '1 KiB, a connection per request, 2 workers'),
]
SHARDS_STACKS = (('znet', 'znet'), ('linux', 'the kernel'))


def shards_cost(results, stack, wl):
    """{round: the servers' CPU us per request}: srv_cpu (the master's
    and every worker's, exact) over the requests wrk completed."""
    out = {}
    for r, kv in results.get((stack, wl), []):
        if 'srv_cpu' in kv and float(kv.get('reqs', 0)) > 0:
            out[r] = 1e6 * float(kv['srv_cpu']) / float(kv['reqs'])
    return out


def shards_total(results, stack, wl):
    """{round: wrk's and the servers' CPU us per request}: every side's
    work wherever the kernel ran it (cli_cpu: wrk's rusage, exact)."""
    out = {}
    for r, kv in results.get((stack, wl), []):
        if 'srv_cpu' in kv and 'cli_cpu' in kv and float(kv.get('reqs', 0)) > 0:
            out[r] = (1e6 * (float(kv['srv_cpu']) + float(kv['cli_cpu']))
                      / float(kv['reqs']))
    return out


def shards_kv(results, stack, wl, f):
    """f(kv) for each run of the workload that f does not refuse (None)."""
    out = []
    for _, kv in results.get((stack, wl), []):
        try:
            v = f(kv)
        except (KeyError, ValueError, ZeroDivisionError):
            v = None
        if v is not None:
            out.append(v)
    return out


def ratio_cell(rs):
    """A ratio's median over rounds (min-max, rounds)."""
    if not rs:
        return '-'
    m = statistics.median(rs)
    if len(rs) == 1:
        return f'{m:.2f}'
    return f'{m:.2f} ({min(rs):.2f}-{max(rs):.2f}, {len(rs)} rounds)'


def paired(a, b, f):
    """f(a[r], b[r]) for each round both have."""
    return [f(a[r], b[r]) for r in a if r in b and a[r] > 0 and b[r] > 0]


def w_cpus(kv):
    return [float(x) for x in kv['w_cpu'].split(',') if x]


def shards_table(results):
    """Per workload: rates, the servers' cost per request, the capacity
    ratio (the kernel's cost over znet's), the kernel's share of the
    servers' time, how evenly the workers shared the work."""
    out = ['| workload | requests/s znet | requests/s kernel | znet/kernel '
           '| server CPU us per request: znet | kernel '
           '| capacity ratio (kernel cost / znet cost) '
           '| the same within each round '
           '| wrk + servers, CPU us per request (znet, kernel) '
           '| kernel/znet, wrk + servers '
           '| in the kernel, % of the servers\' time (znet, kernel) '
           '| busiest worker, cores (znet, kernel) '
           '| the busier worker\'s share of the workers\' CPU, % (znet, '
           'kernel) |',
           '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    have = False
    for wl, title in SHARDS_WORKLOADS:
        z = http_vals(results, 'znet', wl, 'rps')
        n = http_vals(results, 'linux', wl, 'rps')
        if not (z or n):
            continue
        have = True
        cz, cn = shards_cost(results, 'znet', wl), shards_cost(results, 'linux', wl)

        def both(f):
            vz = shards_kv(results, 'znet', wl, f)
            vn = shards_kv(results, 'linux', wl, f)
            return (f'{fmt(statistics.median(vz)) if vz else "-"}, '
                    f'{fmt(statistics.median(vn)) if vn else "-"}')
        sys_pct = both(lambda kv: 100 * float(kv['srv_sys_s'])
                       / (float(kv['srv_sys_s']) + float(kv['srv_user_s'])))
        busiest = both(lambda kv: max(w_cpus(kv)) / float(kv['secs']))
        spread = (both(lambda kv: 100 * max(w_cpus(kv)) / sum(w_cpus(kv))
                       if len(w_cpus(kv)) > 1 else None)
                  if wl.endswith('-w2') else '-')
        tz = list(shards_total(results, 'znet', wl).values())
        tn = list(shards_total(results, 'linux', wl).values())
        out.append('| ' + ' | '.join([
            title, cell(z), cell(n), ratio(z, n),
            cell(list(cz.values())), cell(list(cn.values())),
            ratio(list(cn.values()), list(cz.values())),
            ratio_cell(paired(cn, cz, lambda a, b: a / b)),
            f'{cell(tz)}, {cell(tn)}', ratio(tn, tz),
            sys_pct, busiest, spread]) + ' |')
    return '\n'.join(out) if have else ''


def shards_scaling(results, stack, kind):
    """2 workers' capacity over 1 worker's for one stack and workload
    kind: (cost w1, cost w2, the ratio of the medians 2 cost_w1/cost_w2,
    its values within each round, the measured rates' ratio)."""
    c1 = shards_cost(results, stack, f'shards-{kind}-w1')
    c2 = shards_cost(results, stack, f'shards-{kind}-w2')
    if not c1 or not c2:
        return None
    m1, m2 = statistics.median(c1.values()), statistics.median(c2.values())
    return (list(c1.values()), list(c2.values()), 2 * m1 / m2,
            paired(c1, c2, lambda a, b: 2 * a / b),
            ratio(http_vals(results, stack, f'shards-{kind}-w2', 'rps'),
                  http_vals(results, stack, f'shards-{kind}-w1', 'rps')))


def shards_scaling_table(results):
    out = ['| workload | stack | us per request, 1 worker | 2 workers '
           '| capacity, 1 worker: 1 core / cost (requests/s) '
           '| 2 workers: 2 cores / cost '
           '| 2 workers over 1 (capacity) | the same within each round '
           '| 2 workers over 1 (measured requests/s) |',
           '|---|---|---|---|---|---|---|---|---|']
    have = False
    for kind, title in (('1k', '1 KiB keep-alive'),
                        ('close', '1 KiB, a connection per request')):
        for stack, name in SHARDS_STACKS:
            s = shards_scaling(results, stack, kind)
            if not s:
                continue
            have = True
            c1, c2, r, rs, rps = s
            out.append('| ' + ' | '.join([
                title, name, cell(c1), cell(c2),
                fmt(1e6 / statistics.median(c1)),
                fmt(2e6 / statistics.median(c2)), f'{r:.2f}',
                ratio_cell(rs), rps]) + ' |')
    return '\n'.join(out) if have else ''


def shards_imb_table(results):
    """Per stack, the imbalance runs: max/min over the workers of their
    connections, requests and CPU, median over the runs (min-max), and
    each run's connections and CPU per worker."""
    out = ['| stack | runs | connections per worker, max/min '
           '| requests per worker, max/min | CPU per worker, max/min '
           '| each run: connections per worker | each run: CPU s per worker '
           '| master CPU ms (slot 0) | connections seen | requests/s | p99 ms '
           '| errors |',
           '|---|---|---|---|---|---|---|---|---|---|---|---|']
    have = False

    def ints(kv, k):
        return [int(x) for x in kv.get(k, '').split(',') if x]

    def mm(vals):
        return max(vals) / min(vals) if vals and min(vals) > 0 else None

    def rcell(vals):
        vals = [v for v in vals if v is not None]
        if not vals:
            return '-'
        m = statistics.median(vals)
        if len(vals) == 1:
            return f'{m:.2f}'
        return f'{m:.2f} ({min(vals):.2f}-{max(vals):.2f})'
    for stack, name in SHARDS_STACKS:
        runs = [kv for _, kv in results.get((stack, 'shards-imb-w2'), [])]
        if not runs:
            continue
        have = True
        cpus = [w_cpus(kv) if 'w_cpu' in kv else [] for kv in runs]
        seen = [int(kv.get('conns_seen', 0)) for kv in runs]
        out.append('| ' + ' | '.join([
            name, str(len(runs)),
            rcell([mm(ints(kv, 'w_conns')) for kv in runs]),
            rcell([mm(ints(kv, 'w_reqs')) for kv in runs]),
            rcell([mm(c) for c in cpus]),
            '; '.join('/'.join(str(c) for c in ints(kv, 'w_conns'))
                      for kv in runs),
            '; '.join('/'.join(f'{c:.2f}' for c in cs) for cs in cpus),
            cell([1000 * v for v in
                  http_vals(results, stack, 'shards-imb-w2', 'm_cpu')]),
            f'{min(seen)}-{max(seen)} of {runs[0].get("conns", "?")}',
            cell(http_vals(results, stack, 'shards-imb-w2', 'rps')),
            cell(http_vals(results, stack, 'shards-imb-w2', 'p99_ms')),
            str(int(sum(http_vals(results, stack, 'shards-imb-w2',
                                  'errors'))))]) + ' |')
    return '\n'.join(out) if have else ''


def shards_targets(results):
    lines = []
    for kind, title in (('1k', '1 KiB keep-alive'),
                        ('close', 'a connection per request')):
        wl = f'shards-{kind}-w2'
        cz = list(shards_cost(results, 'znet', wl).values())
        cn = list(shards_cost(results, 'linux', wl).values())
        if cz and cn:
            r = statistics.median(cn) / statistics.median(cz)
            lines.append(f'- 2 workers, {title}: znet\'s capacity >= 1.3x the '
                         f'kernel\'s: {r:.2f}x -> '
                         f'{"met" if r >= 1.3 else "NOT met"}')
        s = shards_scaling(results, 'znet', kind)
        if s:
            lines.append(f'- {title}, over znet: 2 workers\' capacity >= 1.8x '
                         f'one worker\'s: {s[2]:.2f}x -> '
                         f'{"met" if s[2] >= 1.8 else "NOT met"} (measured '
                         f'requests/s: {s[4]}x, the client\'s pace)')
    return '\n'.join(lines)


THREADS_STACKS = (('znet', 'znet, one stack for the threads'),
                  ('znet-threads', 'znet --thread-shards, a stack per thread'),
                  ('linux', 'the kernel'))


def threads_table(results):
    """threads-ka per stack: requests/s, the server's CPU per request, its
    capacity over the kernel's and over znet's one stack."""
    wl = 'threads-ka'
    cost = {st: shards_cost(results, st, wl) for st, _ in THREADS_STACKS}
    if not any(cost.values()):
        return ''
    out = ['| stack | requests/s | server CPU us per request '
           '| capacity over the kernel (kernel cost / its cost) '
           '| the same within each round '
           '| capacity over znet with one stack | the same within each round '
           '| in the kernel, % of the server\'s time |',
           '|---|---|---|---|---|---|---|---|']
    for st, title in THREADS_STACKS:
        c = cost[st]
        if not c:
            continue
        kv = shards_kv(results, st, wl,
                       lambda kv: 100 * float(kv['srv_sys_s'])
                       / (float(kv['srv_sys_s']) + float(kv['srv_user_s'])))
        out.append('| ' + ' | '.join([
            title, cell(http_vals(results, st, wl, 'rps')),
            cell(list(c.values())),
            ratio(list(cost['linux'].values()), list(c.values())),
            ratio_cell(paired(cost['linux'], c, lambda a, b: a / b)),
            ratio(list(cost['znet'].values()), list(c.values())),
            ratio_cell(paired(cost['znet'], c, lambda a, b: a / b)),
            fmt(statistics.median(kv)) if kv else '-']) + ' |')
    return '\n'.join(out)


def shards_section(results, meta):
    t = shards_table(results)
    ti = shards_imb_table(results)
    tth = threads_table(results)
    if not (t or ti or tth):
        return []
    md = ['## nginx\'s workers, a stack each: znet-run\'s shards against '
          'the kernel\n']
    md.append(f'{meta.get("nginx", "nginx")} from Debian, unchanged, with '
              'its master process and 1 or 2 workers (`worker_processes`; '
              'keep-alive, no access log, sendfile, as the posix part\'s), '
              'under znet-run on a multi-queue TAP: a group of shards, each '
              'process a stack of its own on its own queue, the TAP\'s eBPF '
              'steering program spreading new connections over the workers '
              '(no flag: the TAP takes multi-queue; '
              f'`--tcp-conns {meta.get("shards_tcp_conns", "?")}` per '
              'stack); and the same nginx, the same configuration, on the '
              'kernel\'s sockets over the veth pair, offloads on.  wrk '
              f'({meta.get("wrk", "wrk")}) GETs a 1 KiB file over 32 '
              'connections, with one thread per worker, pinned to the client '
              'core; the server is not pinned (2 workers need both cores).  '
              'The stacks alternate within each round, and the worker '
              'counts too (bench/shards.sh).\n')
    md.append('The client shares this two-core machine, so the rates are '
              'wrk\'s pace as much as the server\'s; what a server can '
              'sustain is read from its cost: the CPU time of the master and '
              'every worker (all their threads, znet\'s driver threads '
              'included; schedstat, exact) over the run, per request wrk '
              'completed.  The **capacity ratio** is the kernel\'s cost per '
              'request over znet\'s (above 1, znet serves more requests per '
              'CPU second): the ratio of the medians, and the median of the '
              'ratios within each round.  Each process\'s time holds the '
              'kernel\'s receive work for the frames it sends (the TAP\'s '
              'write and the veth\'s transmit run it in the sender\'s '
              'context) for both stacks; the kernel\'s receive work for the '
              'client\'s frames runs in wrk\'s context over the veth, so '
              'the kernel\'s nginx is not charged for its own receive path, '
              'while znet\'s is in its workers: the ratio leans the '
              'kernel\'s way, most with a connection per request, whose '
              'handshake the kernel does wholly in wrk\'s context (the SYN, '
              'the SYN-ACK and wrk\'s side of it, the ACK), while znet\'s '
              'worker writes the SYN-ACK and so runs wrk\'s side too.  '
              'The columns "wrk + servers" add wrk\'s own CPU (its rusage, '
              'exact): every side\'s work wherever the kernel ran it; the '
              'client is the same program for both stacks, so the '
              'difference of the sums is the servers\' difference (their '
              'ratio is diluted by the client\'s share, which both '
              'carry).  "In the kernel" is the share of the servers\' '
              'time spent in system calls and softirq in their context '
              '(/proc/PID/stat\'s tick samples); "busiest worker, cores" its '
              'CPU seconds over the run\'s seconds (1.0: a worker saturated '
              'its core); the busier worker\'s share says how evenly 2 '
              'workers shared the work (50: evenly, 100: one did it all).\n')
    if t:
        md.append(t + '\n')
    ts = shards_scaling_table(results)
    if ts:
        md.append('### 2 workers over 1\n')
        md.append('A worker uses at most one core: nginx\'s worker is one '
                  'thread, and under znet-run its stack is driven under one '
                  'lock (the driver thread polls it between the worker\'s '
                  'calls, never beside them).  So the rate N workers can '
                  'sustain, with a core each and the work spread evenly, is '
                  'N cores over the cost per request: **capacity(N) = N / '
                  'cost(N)**, and 2 workers over 1 is 2 cost(1) / cost(2): '
                  '2.00 when a second worker costs nothing more per request '
                  '(no lock, table or steering shared between them), less '
                  'when it does, more when a request costs less with two '
                  '(a cost depends on the load: a busier worker handles '
                  'more events per wake-up).  It assumes an even spread: the busier '
                  'worker\'s share above and the imbalance run below '
                  'say how even it is.  The measured requests/s ratio is '
                  'beside it: with wrk on one of the two cores, 2 workers '
                  'get one core and part of the other, not two.\n')
        md.append(ts + '\n')
    if ti:
        md.append('### Imbalance under 1,000 connections\n')
        md.append(f'One run per stack in each round: 2 workers, wrk -t2 '
                  f'-c{meta.get("shards_imb_conns", "1000")} (keep-alive) '
                  'for the run\'s length, nginx\'s access log on for that run '
                  'only (`$pid $connection`), znet-run with `--bufs '
                  f'{meta.get("shards_imb_bufs", "?")}` (with the default '
                  '512 frame buffers a stack drops data of 500 connections '
                  'at its TCP buffer bound: bench/shards.sh): per worker (in pid order) the '
                  'distinct connections it served, its requests, its CPU '
                  'seconds over the run; max/min over the workers of each '
                  '(1.00: even), the median over the runs (min-max).  '
                  'The connections follow the steering; the CPU and the '
                  'requests follow where the scheduler ran each worker: '
                  'one of the two cores is wrk\'s too, and a worker that '
                  'shares it serves its connections more slowly.  '
                  'znet\'s workers get new connections from the steering '
                  'program (by a hash of the flow); the kernel\'s wake one '
                  'worker per new connection on their shared listener '
                  '(EPOLLEXCLUSIVE, nginx\'s default without reuseport).\n')
        md.append(ti + '\n')
    if tth:
        md.append('### A stack per thread\n')
        md.append('A multi-threaded server as envoy-style servers are '
                  'written: tests/e2e/thread_server.c with 2 threads, each '
                  'opening its own `SO_REUSEPORT` listener and epoll and '
                  'answering HTTP/1.1 keep-alive requests with a line; under '
                  'znet-run with one stack for the process (the threads take '
                  'its one lock in turn), under `znet-run --thread-shards` '
                  '(each thread a stack of its own on its own queue, its '
                  'connections steered to it), and on the kernel\'s sockets '
                  'over the veth.  wrk -t1 -c32, pinned to the client core; '
                  'the cost per request is the server process\'s CPU (all '
                  'its threads, znet\'s driver threads included) over wrk\'s '
                  'requests, as above, and a capacity ratio is one cost over '
                  'another (above 1: fewer CPU seconds per request than the '
                  'other).\n')
        md.append(tth + '\n')
    tt = shards_targets(results)
    if tt:
        md.append('### Targets\n')
        md.append(tt + '\n')
    return md


# ---- scripts/bench --only images (bench/images.sh) ----

# Unikraft, EuroSys 2021 (its artifact repository): stripped image size
# and the least memory each serves with, in MB; its boot on Solo5 (hello
# world): ~3 ms in the tender and 74 us in the guest; MirageOS on Solo5
# hvt: 25.9k HTTP requests/s.  The boot target: 10 ms all in.
IMG_ANCHOR_SIZE_MB = {'redis': 1.84, 'nginx': 1.64}
IMG_ANCHOR_MEM_MB = {'redis': 7, 'nginx': 5}
IMG_ANCHOR_TENDER_MS = 3.0
IMG_ANCHOR_GUEST_MS = 0.074
IMG_ANCHOR_MIRAGE_RPS = 25900
IMG_BOOT_TARGET_MS = 10.0
IMG_VARIANTS = ['spt', 'linux', 'znet-run', 'linux-debian']
IMG_VARIANT_TITLE = {
    'spt': 'image on solo5-spt',
    'linux': 'Linux, the same znet-cc binary',
    'znet-run': 'znet-run (Debian\'s)',
    'linux-debian': 'Linux (Debian\'s)',
}
IMG_WORKLOADS = [
    ('img-redis-set', 'redis SET, 50 clients'),
    ('img-redis-get', 'redis GET, 50 clients'),
    ('img-redis-set-p16', 'redis SET, 50 clients, pipelined 16'),
    ('img-redis-get-p16', 'redis GET, 50 clients, pipelined 16'),
    ('img-nginx-1k', 'nginx, 1 KiB keep-alive, 16 conns (wrk)'),
]


def img_kv(results, name, wl):
    return [kv for _, kv in results.get((name, wl), [])]


def nearest_rank(vals, pct):
    """The pct-th percentile by nearest rank (of 20 values, p99 is the
    largest)."""
    v = sorted(vals)
    k = max(1, -(-len(v) * pct // 100))
    return v[int(k) - 1]


def img_size_table(results):
    out = ['| image | file bytes | stripped bytes | stripped MB '
           '| text / data / bss (stripped) | Unikraft MB | stripped/Unikraft |',
           '|---|---|---|---|---|---|---|']
    have = False
    for name in ('redis', 'nginx'):
        kvs = img_kv(results, name, 'img-size')
        if not kvs:
            continue
        have = True
        kv = kvs[-1]
        mb = int(kv['stripped']) / 1e6
        a = IMG_ANCHOR_SIZE_MB[name]
        out.append(f'| {name}.spt | {int(kv["bytes"]):,} | '
                   f'{int(kv["stripped"]):,} | {mb:.2f} | '
                   f'{int(kv["text"]):,} / {int(kv["data"]):,} / '
                   f'{int(kv["bss"]):,} | {a} | {mb / a:.2f} |')
    return '\n'.join(out) if have else ''


def img_boot_table(results):
    out = ['| image | boots | answer: median ms | p99 ms | min-max ms '
           '| median/10 ms target | tender (to the guest\'s first output) '
           'median ms | runtime started | stack up | TCP connected '
           '| guest (first output to answer) median ms '
           '| the same binary on Linux, exec to answer: median ms (p99) |',
           '|---|---|---|---|---|---|---|---|---|---|---|---|']
    have = False

    def answered(stack, name):
        return [kv for kv in img_kv(results, stack, f'img-boot-{name}')
                if float(kv.get('answer_us', -1)) >= 0]

    for name in ('redis', 'nginx'):
        kvs = answered('spt', name)
        if not kvs:
            continue
        have = True

        def ms(kvs, key):
            return [float(kv[key]) / 1000 for kv in kvs
                    if float(kv.get(key, -1)) >= 0]
        a = ms(kvs, 'answer_us')
        guest = [(float(kv['answer_us']) - float(kv['console_us'])) / 1000
                 for kv in kvs if float(kv.get('console_us', -1)) >= 0]
        lx = ms(answered('linux', name), 'answer_us')

        def med(v):
            return f'{statistics.median(v):.2f}' if v else '-'
        m = statistics.median(a)
        out.append('| ' + ' | '.join([
            f'{name}.spt', str(len(a)), f'{m:.2f}',
            f'{nearest_rank(a, 99):.2f}', f'{min(a):.2f}-{max(a):.2f}',
            f'{m / IMG_BOOT_TARGET_MS:.2f}', med(ms(kvs, 'console_us')),
            med(ms(kvs, 'rt_us')), med(ms(kvs, 'net_us')),
            med(ms(kvs, 'conn_us')), med(guest),
            f'{med(lx)} ({nearest_rank(lx, 99):.2f})' if lx else '-'])
            + ' |')
    return '\n'.join(out) if have else ''


def img_minmem_table(results):
    out = ['| image | flags | least --mem that serves (MiB) | largest that '
           'failed | probes (MiB: ok or fail, in order) | Unikraft MB '
           '| ours/Unikraft |',
           '|---|---|---|---|---|---|---|']
    have = False
    for name in ('redis', 'nginx'):
        for tuning in ('default', 'tuned'):
            key = f'{name}-{tuning}'
            kvs = img_kv(results, key, 'img-minmem')
            probes = img_kv(results, key, 'img-mem-probe')
            if not kvs and not probes:
                continue
            have = True
            pr = ', '.join(f'{kv["mem"]} '
                           f'{"ok" if kv.get("ok") == "1" else "fail"}'
                           for kv in probes)
            a = IMG_ANCHOR_MEM_MB[name]
            if kvs:
                kv = kvs[-1]
                flags = kv.get('flags', 'none').replace(',', ' ')
                out.append(f'| {name}.spt | {"`" + flags + "`" if flags != "none" else "none"} '
                           f'| {kv["mem"]} | {kv["fails"]} | {pr} '
                           f'| {a} | {int(kv["mem"]) / a:.2f} |')
            else:
                out.append(f'| {name}.spt | {tuning} | - | - | {pr} | {a} | - |')
    return '\n'.join(out) if have else ''


def img_tput_table(results):
    vals = {(v, wl): http_vals(results, v, wl, 'rps')
            for v in IMG_VARIANTS for wl, _ in IMG_WORKLOADS}
    if not any(vals.values()):
        return ''
    out = ['| workload (req/s) | ' + ' | '.join(IMG_VARIANT_TITLE[v]
                                               for v in IMG_VARIANTS)
           + ' | image/Linux (same binary) | image/znet-run '
           '| image/Linux (Debian\'s) | znet-run/Linux (Debian\'s) '
           '| server CPU us per request (' + ', '.join(IMG_VARIANTS) + ') |',
           '|---|' + '---|' * (len(IMG_VARIANTS) + 5)]
    for wl, title in IMG_WORKLOADS:
        row = [title] + [cell(vals[(v, wl)]) for v in IMG_VARIANTS]
        row += [ratio(vals[('spt', wl)], vals[('linux', wl)]),
                ratio(vals[('spt', wl)], vals[('znet-run', wl)]),
                ratio(vals[('spt', wl)], vals[('linux-debian', wl)]),
                ratio(vals[('znet-run', wl)], vals[('linux-debian', wl)])]
        cpu = []
        for v in IMG_VARIANTS:
            c = proc_us_per_op(results, v, wl, 'rps')
            cpu.append(f'{statistics.median(c):.1f}' if c else '-')
        row.append(', '.join(cpu))
        out.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(out)


def img_round_ratios(results, a, b, wl):
    """a's rate over b's within each round (the two runs minutes apart at
    most): median (min-max) over the rounds."""
    ra = {r: float(kv['rps']) for r, kv in results.get((a, wl), [])
          if 'rps' in kv}
    rb = {r: float(kv['rps']) for r, kv in results.get((b, wl), [])
          if 'rps' in kv}
    rs = [ra[r] / rb[r] for r in ra if r in rb and rb[r] > 0]
    if not rs:
        return '-'
    m = statistics.median(rs)
    if len(rs) == 1:
        return f'{m:.2f}'
    return f'{m:.2f} ({min(rs):.2f}-{max(rs):.2f})'


def img_paired_table(results):
    pairs = [('spt', 'linux'), ('spt', 'znet-run'), ('spt', 'linux-debian'),
             ('znet-run', 'linux-debian')]
    out = ['| workload | ' + ' | '.join(
        f'{IMG_VARIANT_TITLE[a]} / {IMG_VARIANT_TITLE[b]}' for a, b in pairs)
        + ' |', '|---|' + '---|' * len(pairs)]
    have = False
    for wl, title in IMG_WORKLOADS:
        row = [img_round_ratios(results, a, b, wl) for a, b in pairs]
        have = have or any(c != '-' for c in row)
        out.append('| ' + ' | '.join([title] + row) + ' |')
    return '\n'.join(out) if have else ''


def img_base_table(results):
    """With IMG_BASE: this tree's images against the base tree's, both on
    spt in the same rounds."""
    out = ['| workload | this tree\'s image (req/s) | the base tree\'s '
           '(req/s) | this/base, within each round: median (min-max) |',
           '|---|---|---|---|']
    have = False
    for wl, title in IMG_WORKLOADS:
        a = http_vals(results, 'spt', wl, 'rps')
        b = http_vals(results, 'spt-base', wl, 'rps')
        have = have or bool(b)
        out.append(f'| {title} | {cell(a)} | {cell(b)} | '
                   f'{img_round_ratios(results, "spt", "spt-base", wl)} |')
    return '\n'.join(out) if have else ''


def img_section(results, meta):
    """The images part's section: four tables, each beside its anchors."""
    ts = img_size_table(results)
    tb = img_boot_table(results)
    tm = img_minmem_table(results)
    tt = img_tput_table(results)
    if not (ts or tb or tm or tt):
        if meta.get('images'):
            return ['## Unikernel images (redis, nginx on Solo5)\n',
                    f'Not measured: {meta["images"]}.\n']
        return []
    md = ['## Unikernel images (redis, nginx on Solo5)\n']
    md.append(f'{meta.get("redis", "redis")} and '
              f'{meta.get("nginx", "nginx").replace("/", " ")} (Debian 12\'s '
              'sources, the same versions as Debian\'s packages) built by '
              'znet-cc and made Solo5 spt images by scripts/images '
              f'({meta.get("solo5", "Solo5")}), beside the published '
              'anchors: Unikraft (EuroSys 2021; its artifact repository) '
              'and MirageOS in the same paper (bench/images.sh).  Ratios '
              'only report; nothing is asserted.\n')
    if ts:
        md.append('### Image size\n')
        md.append('The spt image (build-images/img/NAME.spt) as built and '
                  'after `strip -s`; MB are 10^6 bytes (if Unikraft\'s MB '
                  'are MiB, its figures are 4.9% larger).  The images hold '
                  'the program, musl, libznet-rt (the system-call layer, '
                  'files, threads) and znet; nginx is built without PCRE, '
                  'zlib and OpenSSL, redis without TLS and with libc\'s '
                  'malloc.\n')
        md.append(ts + '\n')
    if tb:
        md.append('### Boot to first answer\n')
        md.append('From just before bench/znb-boot forks the process that '
                  'execs solo5-spt (so the exec, the tender\'s loading of '
                  f'the image and its --mem={meta.get("img_mem", "?")} '
                  'memory, the TAP\'s attach are in) to the first whole '
                  'answer on a connection from Linux in the TAP\'s '
                  'namespace: redis +PONG to PING, nginx HTTP 200 to GET / '
                  '(a 15-byte index.html from the root archive).  New '
                  'connection attempts start every 200 us meanwhile, so '
                  'the answer is seen within about 200 us of the image\'s '
                  'listening.  The kernel\'s neighbour entry for the image '
                  'is static and the image\'s MAC fixed (solo5-spt '
                  '--net-mac), so no ARP from the kernel is in it; the '
                  'image\'s own ARP for the kernel\'s address is.  The '
                  'tender on CPU 1, the timer on CPU 0; p99 is by nearest '
                  'rank, so of 20 boots it is the slowest.  The columns '
                  'after the target split the median boot: the child\'s '
                  'first output (the guest\'s Solo5 banner: the tender\'s '
                  'start-up is before it), the runtime\'s first line '
                  '("znet-rt: ..."), its "znet-rt: ADDR mac ..." line '
                  '(the stack up), the first TCP connection accepted '
                  'by the stack (the program listening), and the answer '
                  'less the first output (the guest\'s part).  For '
                  'reference, the last column: the znet-cc-built program '
                  'the image was made from, started the same way as a '
                  'Linux process (exec to answer, timer and server in one '
                  'namespace, over the veth\'s address), one such boot '
                  'after each of the image\'s: the program\'s own '
                  'start-up.  '
                  f'Anchor: Unikraft on Solo5 boots hello world in ~'
                  f'{IMG_ANCHOR_TENDER_MS:g} ms of tender and '
                  f'{IMG_ANCHOR_GUEST_MS * 1000:g} us of guest (no network, '
                  'no server); the issue\'s target is 10 ms all in.\n')
        md.append(tb + '\n')
    if tm:
        md.append('### Minimum memory\n')
        md.append('The smallest solo5-spt --mem at which the image boots, '
                  'serves its check and answers again after it: redis '
                  'redis-benchmark -c 50 -n 10000 -t set,get, both answered '
                  'in full; nginx wrk -t1 -c16 -d5s of a 1 KiB file, no '
                  'error.  By bisection from 64 MiB (doubled until it '
                  'served) down to 1.  Solo5\'s --mem is whole MiB (the '
                  'number is shifted by 20 bits), so this is the answer to '
                  'the MiB; it is all of the guest: the low 1 MiB Solo5 '
                  'reserves, the loaded image, the runtime\'s 1 MiB main '
                  'stack, and the heap (the stack\'s buffers, the '
                  'program\'s malloc and its threads\' stacks).  Each image '
                  'twice: with no flags, and tuned (`--thread-stack` caps '
                  'what a thread\'s stack takes: without an MMU all of it is '
                  'taken at the thread\'s start; `--bufs` sizes the stack\'s '
                  'pool of frame buffers, 512 by default; nginx\'s '
                  '`worker_connections` at nginx\'s default of 512 instead '
                  'of the 4,096 of the throughput runs: nginx allocates '
                  'them all at start).  Unikraft\'s '
                  'figures are its guest\'s memory on KVM, with its own '
                  'configuration for the least memory.\n')
        md.append(tm + '\n')
    if tt:
        md.append('### Throughput\n')
        md.append(f'Rounds: {meta.get("img_rounds", "?")}, the four '
                  'variants in an order rotating by round, each started fresh and '
                  'measured by the same clients: redis-benchmark (-c 50, '
                  'plain and -P 16) and wrk (-t1 -c16, keep-alive GETs of a '
                  f'1 KiB file for {meta.get("rseconds", "?")} s).  The '
                  'server is pinned to CPU 1 (on spt the tender, which is '
                  'the whole guest, one thread), the client to CPU 0.  '
                  '"image": the spt image on the TAP (no offloads: Solo5\'s '
                  'TAP is one frame per read or write); "Linux, the same '
                  'znet-cc binary": the program the image was made from, '
                  'an ordinary static Linux program (musl over the '
                  'kernel\'s system calls), on the kernel\'s sockets over a '
                  'veth pair between two namespaces (offloads on); '
                  '"znet-run": Debian\'s redis-server and nginx-light (the '
                  'same sources, glibc and jemalloc) under znet-run on the '
                  'TAP, offloads on; "Linux (Debian\'s)": those on the '
                  'kernel over the veth.  Medians (min-max); ratios of '
                  'medians, above 1 the image is ahead.  Server CPU is the '
                  'server process\'s own time per request (schedstat; the '
                  'kernel\'s softirq work done in its context included, on '
                  'a veth the receiving side\'s is partly on the client\'s '
                  'core).\n')
        md.append(tt + '\n')
        tp = img_paired_table(results)
        if tp:
            md.append('The same ratios taken within each round (the two '
                      'runs minutes apart at most, so a slow phase of the '
                      'shared host weighs on both), median (min-max) over '
                      'the rounds:\n')
            md.append(tp + '\n')
        tbase = img_base_table(results)
        if tbase:
            md.append('Against another tree\'s images (IMG_BASE: its '
                      'build-images, made by its own scripts/images), '
                      'booted by the same tender with the same flags in '
                      'the same rounds:\n')
            md.append(tbase + '\n')
        n = http_vals(results, 'spt', 'img-nginx-1k', 'rps')
        if n:
            m = statistics.median(n)
            md.append(f'MirageOS anchor (HTTP on Solo5 hvt, 25.9k req/s): the '
                      f'nginx image serves {fmt(m)} req/s on spt, '
                      f'{m / IMG_ANCHOR_MIRAGE_RPS:.2f}x (different server, '
                      'tender, client and machine).\n')
    return md


SENDLOSS_PCTS = (1, 5, 10)


def sendloss_table(results):
    """Seconds to deliver 32 MiB with znet or Linux sending under loss
    each way, and the ratio (the target: znet's time <= Linux's with the
    same congestion control, CUBIC; Linux with BBR beside it)."""
    out = ['| loss each way | znet sends (s) | Linux CUBIC sends (s) '
           '| znet/Linux CUBIC | Linux BBR sends (s) | znet/Linux BBR '
           '| Mbit/s (znet, CUBIC, BBR) | failed (znet, CUBIC, BBR) |',
           '|---|---|---|---|---|---|---|---|']
    have = False
    stacks = ('znet', 'linux-off', 'linux-bbr')
    for pct in SENDLOSS_PCTS:
        wl = f'sendloss-{pct}'
        z, n, b = (http_vals(results, s, wl, 'secs') for s in stacks)
        have = have or bool(z or n or b)
        rates_ = [http_vals(results, s, wl, 'rate') for s in stacks]
        failed = [sum(1 for _, kv in results.get((s, wl), [])
                      if 'secs' not in kv) for s in stacks]
        out.append('| ' + ' | '.join([
            f'{pct}%', cell(z), cell(n), ratio(z, n), cell(b), ratio(z, b),
            ', '.join(fmt(statistics.median(r)) if r else '-'
                      for r in rates_),
            ', '.join(str(f) for f in failed)]) + ' |')
    return '\n'.join(out) if have else ''


RTTLOSS_RTTS = ('0', '10', '100')
RTTLOSS_PCTS = ('0', '0.1', '1', '5', '10')
MLSEEDS_PCTS = ('0', '2', '5', '10')


def rtx_pct(results, stack, wl):
    """The median over rounds of a sender's retransmitted segments in
    the segments it sent (rtx=, segs=), as a percentage; '-' if none
    were recorded."""
    r = sorted(float(kv['rtx']) / float(kv['segs']) * 100
               for _, kv in results.get((stack, wl), [])
               if 'rtx' in kv and float(kv.get('segs', 0)) > 0)
    if not r:
        return '-'
    m = len(r) // 2
    return f'{(r[m] if len(r) % 2 else (r[m - 1] + r[m]) / 2):.2f}'


def rttloss_table(results):
    """Goodput with an RTT and loss from znet's fault injector, znet
    sending (CUBIC and BBR) against Linux sending (CUBIC and BBR) over
    the same TAP path, and the ratios (bench/rttloss.sh)."""
    out = ['| RTT added | loss each way | znet CUBIC (Mbit/s) '
           '| Linux CUBIC (Mbit/s) | znet/Linux CUBIC '
           '| znet BBR (Mbit/s) | Linux BBR (Mbit/s) | znet BBR/Linux BBR '
           '| retransmitted, median % (znet, Linux CUBIC, znet BBR, '
           'Linux BBR) '
           '| failed (znet, CUBIC, znet BBR, BBR) '
           '| injector overflow, nobuf | TAP drops (Linux sending) |',
           '|---|---|---|---|---|---|---|---|---|---|---|---|']
    have = False
    stacks = ('znet', 'linux', 'znet-bbr', 'linux-bbr')
    for rtt in RTTLOSS_RTTS:
        for pct in RTTLOSS_PCTS:
            wl = f'rttloss-{rtt}-{pct}'
            z, n, zb, bb = (http_vals(results, st, wl, 'rate')
                            for st in stacks)
            if not (z or n or zb or bb):
                continue
            have = True
            fails = (sum(1 for _, kv in results.get((st, wl), [])
                         if 'rate' not in kv) for st in stacks)
            q = results.get(('znet', wl + '-queue'), [])
            over = sum(int(kv.get('overflow', 0)) for _, kv in q)
            nobuf = sum(int(kv.get('nobuf', 0)) for _, kv in q)
            drops = (http_vals(results, 'linux', wl, 'tap_drops') +
                     http_vals(results, 'linux-bbr', wl, 'tap_drops'))
            out.append('| ' + ' | '.join([
                f'{rtt} ms', f'{pct}%', cell(z), cell(n), ratio(z, n),
                cell(zb), cell(bb), ratio(zb, bb),
                ', '.join(rtx_pct(results, st, wl) for st in stacks),
                ', '.join(str(f) for f in fails),
                f'{over}, {nobuf}' if q else '-',
                f'{int(sum(drops))}' if drops else '-']) + ' |')
    return '\n'.join(out) if have else ''


FAIR_PAIRS = ('znet-bbr:linux-cubic', 'znet-bbr:linux-bbr',
              'linux-bbr:linux-cubic', 'linux-bbr:linux-bbr',
              'znet-cubic:linux-cubic', 'linux-cubic:linux-cubic')


def fair_queues(results):
    """The queue depths a fairness run measured, deepest first."""
    qs = {w[len('fair-'):-len('bdp')] for (_, w) in results
          if w.startswith('fair-') and w.endswith('bdp')}
    return sorted(qs, key=float, reverse=True)


def fairness_table(results):
    """Two flows through one bottleneck (bench/fairness.sh): each flow's
    rate, flow A's share, Jain's index, the queueing delay the pair adds,
    the tbf's backlog and drops, each sender's retransmissions."""
    out = ['| queue | flow A | flow B | A (Mbit/s) | B (Mbit/s) | A/B '
           '| Jain | queueing delay, median / p90 (ms) | backlog, median / '
           'max (KB) | tbf drops | A retransmits | B retransmits |',
           '|---|---|---|---|---|---|---|---|---|---|---|---|']
    have = False
    for q in fair_queues(results):
        wl = f'fair-{q}bdp'
        for pair in FAIR_PAIRS:
            rows = [kv for _, kv in results.get((pair, wl), [])
                    if 'a_mbps' in kv]
            if not rows:
                continue
            have = True

            def v(key, rows=rows):
                return [float(kv[key]) for kv in rows if key in kv]

            def med(key):
                x = v(key)
                return statistics.median(x) if x else 0

            def pct(rtx, segs):
                r = [float(kv[rtx]) / float(kv[segs]) * 100 for kv in rows
                     if float(kv.get(segs, 0)) > 0]
                return f'{statistics.median(r):.2f}%' if r else '-'

            a, b = pair.split(':')
            p90 = [float(kv['load_rtt_p90_ms']) - float(kv['idle_rtt_ms'])
                   for kv in rows]
            out.append('| ' + ' | '.join([
                f'{q} BDP', a, b, cell(v('a_mbps')), cell(v('b_mbps')),
                ratio(v('a_mbps'), v('b_mbps')), cell(v('rate')),
                f'{med("qdelay_ms"):.1f} / {statistics.median(p90):.1f}',
                f'{med("backlog_med_b") / 1e3:.0f} / '
                f'{med("backlog_max_b") / 1e3:.0f}',
                f'{med("tbf_drops"):.0f}', pct('a_rtx', 'a_segs'),
                pct('b_rtx', 'b_segs')]) + ' |')
    return '\n'.join(out) if have else ''


SHORT_SENDERS = ('znet-bbr', 'znet-cubic', 'linux-bbr', 'linux-cubic')


def shortflow_table(results):
    """Short downloads under loss (bench/shortflow.sh): completion time
    percentiles per sender, size and added RTT, and znet over Linux with
    the same controller."""
    cells = sorted({w for (_, w) in results if w.startswith('short-')},
                   key=lambda w: (float(w.split('-')[2]),
                                  w.split('-')[1][-1], w))
    out = ['| size | RTT added | sender | p50 (ms) | p90 (ms) | p99 (ms) '
           '| max (ms) | mean (ms) | p50, p99 / Linux same CC | failed '
           '| retransmitted (of segments sent) |',
           '|---|---|---|---|---|---|---|---|---|---|---|']
    for wl in cells:
        _, size, rtt = wl.split('-')
        for snd in SHORT_SENDERS:
            rows = [kv for _, kv in results.get((snd, wl), [])]
            if not rows:
                continue
            ok = [kv for kv in rows if 'p50' in kv]

            def v(key, rows=ok):
                return [float(kv[key]) for kv in rows if key in kv]

            rel = '-'
            if snd.startswith('znet-'):
                ref = [kv for _, kv in results.get(
                    ('linux-' + snd[len('znet-'):], wl), []) if 'p50' in kv]
                rv = [[float(kv[k]) for kv in ref] for k in ('p50', 'p99')]
                rel = f'{ratio(v("p50"), rv[0])}, {ratio(v("p99"), rv[1])}'
            rtx = sum(int(kv.get('rtx', 0)) for kv in rows)
            segs = sum(int(kv.get('segs', 0)) for kv in rows)
            failed = sum(int(kv.get('failed', 0)) for kv in rows)
            out.append('| ' + ' | '.join([
                size, f'{rtt} ms', snd, cell(v('p50')), cell(v('p90')),
                cell(v('p99')), cell(v('max')), cell(v('mean')), rel,
                str(failed),
                f'{rtx:,} ({rtx / segs * 100:.2f}%)' if segs else '-'])
                + ' |')
    return '\n'.join(out) if cells else ''


def mlseeds_table(results):
    """znb-memlink bulk --seeds: fixed transfers on a virtual clock, the
    protocol's time and its recovery counters, summed over the seeds."""
    out = ['| loss each way | transfers | virtual s, all | slowest (s) '
           '| Mbit/s (virtual) | retransmits | fast rtx | RTOs | loss probes '
           '| RACK lost ranges | frames lost | failed | wall s |',
           '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    have = False
    rows = [(f'{pct}%', f'seeds-{pct}') for pct in MLSEEDS_PCTS]
    rows.append(('5%, BBR, 100 ms, 32M windows', 'seeds-bbr-5-100'))
    for label, workload in rows:
        runs = results.get(('memlink', workload), [])
        if not runs:
            continue
        have = True
        kv = runs[-1][1]
        out.append('| ' + ' | '.join([
            label, f'{kv.get("seeds")} x {int(kv.get("bytes", 0)) >> 20} MiB',
            kv.get('secs', '-'), kv.get('worst_secs', '-'),
            kv.get('rate', '-'), kv.get('retransmits', '-'),
            kv.get('fast_rtx', '-'), kv.get('rto', '-'),
            kv.get('probes', '-'), kv.get('rack_lost', '-'),
            kv.get('fault_lost', '-'), kv.get('failed', '-'),
            kv.get('wall_secs', '-')]) + ' |')
    return '\n'.join(out) if have else ''


def loss_table(results):
    out = ['| loss each way | znet memlink, RTT 0 | RTT 10 ms | RTT 100 ms '
           '| Linux veth (offloads off), RTT ~0 |', '|---|---|---|---|---|']
    for loss in LOSSES:
        row = [f'{loss}%']
        for rtt in RTTS:
            row.append(cell(rates(results, 'memlink', f'loss-{loss}-{rtt}')))
        row.append(cell(rates(results, 'linux-off', f'loss-{loss}-0')))
        out.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(out)


def callgrind_v6_table(results):
    """znet's instructions per operation over IPv6 beside IPv4."""
    names = [('udp-echo', 'per UDP echo (64 B)'),
             ('tcp-segment', 'per full-size TCP segment received'),
             ('tcp-conn', 'per TCP connection (connect + close)')]
    out = ['| instructions (src/) | znet IPv4, offloads | znet IPv6, offloads '
           '| IPv6/IPv4 | znet IPv4, no offloads | znet IPv6, no offloads '
           '| IPv6/IPv4 |',
           '|---|---|---|---|---|---|---|']
    have = False
    for key, title in names:
        row = [title]
        for v4, v6 in (('znet', 'znet6'), ('znet-plain', 'znet6-plain')):
            a = [float(kv['rate']) for _, kv in results.get((v4, key), [])]
            b = [float(kv['rate']) for _, kv in results.get((v6, key), [])]
            have = have or bool(b)
            row += [cell(a), cell(b), ratio(b, a)]
        out.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(out) if have else ''


def callgrind_table(results):
    names = [('udp-echo', 'per UDP echo (64 B)'),
             ('tcp-segment', 'per full-size TCP segment received'),
             ('tcp-conn', 'per TCP connection (connect + close)')]
    out = ['| instructions | znet, offloads (src/) | znet, no offloads (src/) '
           '| lwIP (src/) | znet/lwIP | znet no offloads/lwIP '
           '| znet, whole process | znet no offloads, whole process '
           '| lwIP, whole process |',
           '|---|---|---|---|---|---|---|---|---|']
    have = False
    for key, title in names:
        z = results.get(('znet', key), [])
        zp = results.get(('znet-plain', key), [])
        lw = results.get(('lwip', key), [])
        if not z and not lw and not zp:
            continue
        have = True
        zr = [float(kv['rate']) for _, kv in z]
        pr = [float(kv['rate']) for _, kv in zp]
        lr = [float(kv['rate']) for _, kv in lw]
        zt = [float(kv['total_per_op']) for _, kv in z]
        pt = [float(kv['total_per_op']) for _, kv in zp]
        lt = [float(kv['total_per_op']) for _, kv in lw]
        out.append(f'| {title} | {cell(zr)} | {cell(pr)} | {cell(lr)} '
                   f'| {ratio(zr, lr)} | {ratio(pr, lr)} '
                   f'| {cell(zt)} | {cell(pt)} | {cell(lt)} |')
    return '\n'.join(out) if have else '(not measured: --no-callgrind)'


def fn_table(results, key):
    """The stack's costliest functions per operation, side by side."""
    cols = []
    for stack in ('znet', 'znet-plain', 'lwip'):
        rows = [(kv['name'], float(kv['rate']))
                for _, kv in results.get((stack, 'fn-' + key), [])]
        rows.sort(key=lambda r: -r[1])
        cols.append(rows)
    n = max(len(c) for c in cols)
    if n == 0:
        return ''
    out = ['| znet function (offloads) | Ir/op | znet function (no offloads) '
           '| Ir/op | lwIP function | Ir/op |',
           '|---|---|---|---|---|---|']
    for i in range(n):
        row = []
        for c in cols:
            row += [f'`{c[i][0]}`', f'{c[i][1]:,.0f}'] if i < len(c) else ['', '']
        out.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(out)


def median_of(results, stack, wl, key='rate'):
    vals = [float(kv[key]) for _, kv in results.get((stack, wl), [])
            if key in kv]
    return statistics.median(vals) if vals else None


def targets(results, meta, calm=None):
    lines = []

    def quiet_ratio(wl, other, zs='znet'):
        if not calm:
            return ''
        z = rates(results, zs, wl, calm)
        o = rates(results, other, wl, calm)
        if not z or not o:
            return ''
        return (f' (quiet rounds only: '
                f'{statistics.median(z) / statistics.median(o):.2f}x)')

    def verdict(ok):
        return 'met' if ok else 'NOT met'

    for wl in ('tcp-send', 'tcp-recv'):
        for zs, how in (('znet', 'with the TAP offloads'),
                        ('znet-plain', 'without offloads')):
            z = median_of(results, zs, wl)
            lw = median_of(results, 'lwip', wl)
            lo = median_of(results, 'linux-off', wl)
            if z and lw:
                lines.append(f'- znet ({how}) >= 2x lwIP on {wl} over TAP: '
                             f'{z / lw:.2f}x{quiet_ratio(wl, "lwip", zs)} -> '
                             f'{verdict(z >= 2 * lw)}')
            if z and lo:
                lines.append(f'- znet ({how}) >= Linux veth offloads off on {wl}: '
                             f'{z / lo:.2f}x{quiet_ratio(wl, "linux-off", zs)} -> '
                             f'{verdict(z >= lo)}')
    for key, what in (('udp-echo', 'UDP echo'),
                      ('tcp-segment', 'received TCP segment')):
        for zs, how in (('znet', 'with the TAP offloads'),
                        ('znet-plain', 'without offloads')):
            z = median_of(results, zs, key)
            lw = median_of(results, 'lwip', key)
            if z and lw:
                lines.append(f'- instructions per {what} ({how}) <= 1/3 of lwIP: '
                             f'{z / lw:.2f} of lwIP -> {verdict(3 * z <= lw)}')
    b = median_of(results, 'znet', 'conns-1GiB', 'bytes_per_conn')
    if b:
        lines.append(f'- control block per idle connection < 1 KiB: '
                     f'{b:.0f} bytes -> {verdict(b < 1024)}')
    return '\n'.join(lines)


def plots(dirpath, results):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    groups = [('throughput.png', 'TCP bulk throughput (Mbit/s)',
               ['tcp-send', 'tcp-recv']),
              ('roundtrips.png', 'Round trips per second',
               ['udp-rr-1', 'udp-rr-16', 'tcp-rr']),
              ('connections.png', 'TCP connections per second',
               ['tcp-crr-1', 'tcp-crr-16'])]
    titles = dict(WORKLOADS)
    colors = {'znet': '#1f77b4', 'znet-plain': '#aec7e8', 'lwip': '#ff7f0e', 'linux-off': '#2ca02c',
              'linux-on': '#98df8a', 'memlink': '#9467bd'}
    for fname, title, wls in groups:
        if not any(rates(results, s, wl) for s in STACKS for wl in wls):
            continue
        fig, ax = plt.subplots(figsize=(9, 4.5))
        width = 0.8 / len(STACKS)
        for i, s in enumerate(STACKS):
            meds, lo, hi, xs = [], [], [], []
            for j, wl in enumerate(wls):
                v = rates(results, s, wl)
                if not v:
                    continue
                m = statistics.median(v)
                xs.append(j + (i - len(STACKS) / 2 + 0.5) * width)
                meds.append(m)
                lo.append(m - min(v))
                hi.append(max(v) - m)
            if xs:
                ax.bar(xs, meds, width, yerr=[lo, hi], capsize=3,
                       label=STACK_TITLE[s], color=colors[s])
        ax.set_xticks(range(len(wls)))
        ax.set_xticklabels([titles[w] for w in wls])
        ax.set_title(title + ' - median, bars min-max')
        ax.legend(fontsize=8)
        ax.grid(axis='y', alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(dirpath, fname), dpi=110)
        plt.close(fig)
        made.append((fname, title))
    # Goodput under loss.
    if not any(k[1].startswith('loss-') for k in results):
        return made
    fig, ax = plt.subplots(figsize=(9, 4.5))
    xs = [float(x) for x in LOSSES]
    for rtt, style in zip(RTTS, ['-o', '-s', '-^']):
        ys = [median_of(results, 'memlink', f'loss-{l}-{rtt}') for l in LOSSES]
        pts = [(x, y) for x, y in zip(xs, ys) if y]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style,
                    label=f'znet memlink, RTT {rtt} ms')
    ys = [median_of(results, 'linux-off', f'loss-{l}-0') for l in LOSSES]
    pts = [(x, y) for x, y in zip(xs, ys) if y]
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], '-D',
                label='Linux veth, offloads off')
    ax.set_xscale('symlog', linthresh=0.1)
    ax.set_yscale('log')
    ax.set_xlabel('loss each way (%)')
    ax.set_ylabel('goodput (Mbit/s)')
    ax.set_title('TCP goodput under loss')
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(dirpath, 'loss.png'), dpi=110)
    plt.close(fig)
    made.append(('loss.png', 'TCP goodput under loss'))
    return made


ALL_PARTS = ('rates', 'loss', 'memory', 'footprint', 'callgrind', 'http',
             'dot', 'sendloss', 'rttloss', 'posix', 'fairness', 'shortflow',
             'images', 'shards')


def parts_run(meta):
    """The parts of scripts/bench this run made (its --only)."""
    args = meta.get('args', '').split()
    if '--only' in args and args.index('--only') + 1 < len(args):
        return set(args[args.index('--only') + 1].split(','))
    return set(ALL_PARTS)


def keep_if(md, start, wanted):
    """Drop the section md[start:] unless its part was run."""
    if not wanted:
        del md[start:]


def rttloss_spread(results):
    """Each rttloss cell of a run: every sender's rate round by round,
    their median and range, and each round's znet/Linux ratio (CUBIC,
    BBR): the spread that the report's medians hide."""
    out = []
    cells = sorted({wl for _, wl in results
                    if wl.startswith('rttloss-') and wl.count('-') == 2},
                   key=lambda wl: [float(x) for x in wl.split('-')[1:]])
    for wl in cells:
        _, rtt, pct = wl.split('-')
        out.append(f'rttloss {rtt} ms, {pct}% each way:')
        by_round = {}
        for stack in ('znet', 'linux', 'znet-bbr', 'linux-bbr'):
            recs = results.get((stack, wl), [])
            if not recs:
                continue
            vals = [kv.get('rate', '-') for _, kv in recs]
            out.append(f'  {stack:<10} {" ".join(vals)}   median '
                       f'{cell(http_vals(results, stack, wl, "rate"))}')
            by_round[stack] = {r: float(kv['rate']) for r, kv in recs
                               if 'rate' in kv}
        for z, lx in (('znet', 'linux'), ('znet-bbr', 'linux-bbr')):
            zr, lr = by_round.get(z, {}), by_round.get(lx, {})
            rs = sorted((r for r in zr if lr.get(r)), key=int)
            if rs:
                out.append(f'  {z}/{lx} by round: ' + ' '.join(
                    f'{r}:{zr[r] / lr[r]:.2f}' for r in rs))
    return '\n'.join(out)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--rttloss-spread':
        _, _, results = load(os.path.join(sys.argv[2], 'results.tsv'))
        print(rttloss_spread(results))
        return
    if len(sys.argv) != 2:
        sys.exit('usage: bench/report.py DIR | --rttloss-spread DIR')
    d = sys.argv[1]
    meta, quiet, results = load(os.path.join(d, 'results.tsv'))
    made = plots(d, results)
    noisy = [q for q in quiet if not q[1]]
    lw_sizes = parse_line('x ' + meta.get('lwip_sizes', ''))
    conns = results.get(('znet', 'conns-1GiB'), [])
    ck = conns[0][1] if conns else {}
    foot = {w: kv for (s, w), v in results.items() for _, kv in v
            if kv.get('mode') == 'size'}
    parts = parts_run(meta)
    md = []
    md.append(f'# znet benchmarks, {meta.get("date", "?")}\n')
    md.append('Made by `scripts/bench` (the command line is at the end); '
              'every number is a median over the rounds, with the smallest '
              'and largest in parentheses.\n')
    md.append('## Machine\n')
    md.append(f'- CPU: {meta.get("cpu", "?")} ({meta.get("cpu_detail", "")}), '
              f'{meta.get("cpus", "?")} CPUs '
              f'(hypervisor: {meta.get("hypervisor") or "none"}), '
              f'{meta.get("memory", "?")}')
    md.append(f'- Linux {meta.get("kernel", "?")}, {meta.get("compiler", "?")}')
    md.append(f'- znet {meta.get("znet", "?")}, built debugoptimized (-O2 -g)'
              + (f'; lwIP: {meta["lwip"]}, -O2 -g (see lwip-config.txt)'
                 if 'lwip' in meta else ' (no lwIP in this run)'))
    md.append(f'- {meta.get("rounds", "?")} rounds, stacks interleaved (their '
              'order rotates each round); each TCP bulk run '
              f'{meta.get("seconds", "?")} s, each round-trip and connection '
              f'run {meta.get("rseconds", meta.get("seconds", "?"))} s; server '
              'on CPU 1, client on CPU 0 (taskset)'
              + ('; the shards part pins only the client' if 'shards' in parts
                 else ''))
    if meta.get('load'):
        md.append(f'- load average (1, 5, 15 minutes) when the run started: '
                  f'{meta["load"]}; when it ended: {meta.get("load_end", "?")}')
    if meta.get('quick') == '1':
        md.append('- **Quick mode (`--quick`): one round of short runs, a check '
                  'of the pipeline, not a measurement to quote.**')
    if quiet:
        q = ', '.join(f'round {r}: {"quiet" if ok else "BUSY"} ({b}%)'
                      for r, ok, b in quiet)
        md.append(f'- machine before each round (busiest CPU over 2 s): {q}')
    if noisy:
        md.append('- **Some rounds started on a busy machine (other work on '
                  'the same 2 CPUs): expect noise; the min-max ranges show '
                  'how much.**')
    md.append('')
    start = len(md)
    md.append('## Throughput and rates\n')
    md.append(main_table(results) + '\n')
    rounds = [r for r, _, _ in quiet if r.isdigit()]
    calm = {r for r, ok, _ in quiet if ok and r.isdigit()}
    if calm and len(calm) < len(rounds):
        md.append(f'The same over the {len(calm)} of {len(rounds)} rounds that '
                  'started on a quiet machine (round '
                  + ', '.join(sorted(calm, key=int)) + '), when the other '
                  'work on this machine paused:\n')
        md.append(main_table(results, calm) + '\n')
    t6 = v6_table(results)
    if t6:
        md.append('### IPv6\n')
        md.append('The same workloads over IPv6 (fd00:77::/64 on the TAP, '
                  'fd00:78::/64 on the veth pair; the server dual-stack, the '
                  'IPv4 and IPv6 runs one after the other against the same '
                  'server process):\n')
        md.append(t6 + '\n')
        md.append('IPv6 over IPv4, the ratio of the medians per stack (1.00: '
                  'no cost; the IPv6 header is 20 bytes longer, so a '
                  'full-size TCP segment carries 1440 bytes, not 1460, and '
                  'bulk goodput at the same frame rate is 1.4% lower):\n')
        md.append(v6_ratio_table(results) + '\n')
    md.append('znet runs twice on the TAP: with the offloads netif/tap.c '
              'offers (IFF_VNET_HDR: checksums left to the kernel, TCP frames '
              'of up to 64 KiB both ways, so one system call carries many '
              'segments) and with --no-offload (one frame per read(2) or '
              'write(2), every checksum computed), the way lwIP runs.\n')
    md.append('The memlink column is znet against znet in one process, one '
              'core, no kernel (smoltcp publishes 15.4 Gbit/s for its '
              'in-process loopback on an Intel i5-13500H; this is the CPU '
              'named above).\n')
    for fname, title in made:
        md.append(f'![{title}]({fname})\n')
    if not made:
        md.append('(no plots: python3-matplotlib is not installed)\n')
    ct = cpu_table(results)
    if ct:
        md.append('Where the server\'s CPU time goes: seconds in user space / '
                  'in the kernel during one run (medians; the kernel share in '
                  'parentheses).  Over a TAP without offloads every frame is one read(2) or '
                  'write(2), and writing a frame to the TAP runs the kernel\'s '
                  'own receive path, TCP included, in that system call; for '
                  'Linux the server is znb-load serve and its softirq work on '
                  'the other CPU is not counted.\n')
        md.append(ct + '\n')
    md.append('## Targets\n')
    calm_rounds = {r for r, ok, _ in quiet if ok and r.isdigit()}
    md.append(targets(results, meta, calm_rounds) + '\n')
    keep_if(md, start, 'rates' in parts)
    start = len(md)
    md.append('## Instructions per operation (valgrind --tool=callgrind)\n')
    md.append('Instructions executed in each stack\'s own code (znet: '
              'src/; lwIP: its src/; not the TAP backend, the application '
              'or libc), from the difference between two runs of different '
              'lengths divided by the operations between them (segments: by '
              'the frames the server received; with the offloads, whose '
              'frames each carry many segments, by the full-size segments '
              'the bytes sent make), so start-up cancels out. '
              'The whole-process columns add the application, the TAP '
              'backend and libc (system calls count as one instruction).\n')
    md.append(callgrind_table(results) + '\n')
    t = callgrind_v6_table(results)
    if t:
        md.append('znet over IPv6 beside IPv4, the same server and the same '
                  'counting: a full-size segment carries 1428 bytes over IPv6, '
                  '1448 over IPv4; the IPv6 connections come from the same '
                  'eight source addresses.\n')
        md.append(t + '\n')
    for key, title in (('udp-echo', 'per UDP echo'),
                       ('tcp-segment', 'per TCP segment received'),
                       ('tcp-conn', 'per TCP connection')):
        t = fn_table(results, key)
        if t:
            md.append(f'Where the instructions go, {title} (each stack\'s ten '
                      'costliest functions, self cost, inlined code counted '
                      'in its caller):\n')
            md.append(t + '\n')
    keep_if(md, start, 'callgrind' in parts)
    start = len(md)
    md.append('## Memory\n')
    if ck:
        md.append(f'- znet, per established idle connection: '
                  f'{float(ck.get("bytes_per_conn", 0)):.0f} bytes (the '
                  'connection table\'s growth per entry: control block and '
                  f'hash slots); buffers held by {ck.get("ops")} idle '
                  f'connections: {ck.get("bufs_idle")} (none per connection)')
        md.append(f'- znet in 1 GiB: {int(ck.get("ops", 0)):,} concurrent '
                  'established connections (one stack of '
                  f'{int(ck.get("mem", 0)):,} bytes, clients from '
                  f'{int(ck.get("ops", 0)) // 60000 + 1} addresses, '
                  f'established in {ck.get("secs")} s)')
    if lw_sizes:
        md.append(f'- lwIP, per connection: struct tcp_pcb {lw_sizes.get("tcp_pcb")} '
                  f'bytes (its MEMP_TCP_PCB element: {lw_sizes.get("memp_tcp_pcb")}); '
                  'lwIP has a fixed pool of them (MEMP_NUM_TCP_PCB) and no '
                  'per-connection buffers while idle either')
    md.append('')
    keep_if(md, start, 'memory' in parts)
    start = len(md)
    md.append('## Footprint (-Os)\n')
    md.append('`size` (bytes):\n')
    md.append('| | text | data | bss | text+data |')
    md.append('|---|---|---|---|---|')
    for w, name in (('libznet.a', 'libznet.a: all of znet (with DNS and the hosted netifs), -Os'),
                    ('liblwip.a', 'lwIP core+IPv4+IPv6+Ethernet (with DHCP, DNS, IGMP, AutoIP objects), -Os'),
                    ('min-echo-znet', 'minimal TCP echo server on znet (bench/min/), -Os, --gc-sections'),
                    ('min-echo-lwip', 'the same server on lwIP, -Os, --gc-sections'),
                    ('min-empty', 'the same program with no stack (libc start-up, driver stub)')):
        kv = foot.get(w)
        if kv:
            md.append(f'| {name} | {int(kv["text"]):,} | {int(kv["data"]):,} '
                      f'| {int(kv["bss"]):,} | {int(kv["rate"]):,} |')
    zk, lk = foot.get('min-echo-znet'), foot.get('min-echo-lwip')
    if zk and lk:
        md.append(f'\nThe minimal echo on znet is {int(zk["rate"]) / int(lk["rate"]):.2f}x '
                  'lwIP\'s in text+data.  lwIP\'s features there: no SACK '
                  'reception, no timestamps, NewReno only; znet\'s: SACK both '
                  'ways, timestamps, window scaling, CUBIC and NewReno, keyed '
                  'hashing, drop counters.')
    md.append('\nlwIP\'s bss holds its static pools (MEM_SIZE, the pbuf pool, '
              'the PCBs); the minimal znet echo keeps its stack memory in a '
              'static 2 MiB array (bss); libznet.a itself has no pools, they '
              'live in the block the application hands to zn_stack_create().\n')
    keep_if(md, start, 'footprint' in parts)
    t = http_table(results)
    if t:
        md.append('## Web server: znet-httpd and nginx (wrk)\n')
        md.append(f'nginx {meta.get("nginx", "?")} (one worker, Linux over '
                  'the veth pair, offloads on) and znet-httpd (on the TAP, '
                  'offloads on) serve the same files with the same ECDSA '
                  f'P-256 certificate; wrk ({meta.get("wrk", "?")}, one '
                  'thread) is the client, server and client each pinned to '
                  'one CPU (the handshake rows: openssl s_time in 8 '
                  'processes instead, -new for full handshakes, -reuse for '
                  'resumed ones, every one checked of its kind).  Both '
                  'speak TLS 1.3 only with the client\'s first choices '
                  '(TLS_AES_256_GCM_SHA384, X25519) and send session '
                  'tickets (bench/http.sh).  Memory per '
                  'connection: '
                  'for znet-httpd what one more connection of --max-conns '
                  'reserves at start (two TCP connections, four frame '
                  'buffers, the server\'s slot and, over TLS, 1.25 '
                  'sessions); for nginx the growth of its resident memory '
                  'per connection held open past one request (1,000 of '
                  'them); lower is better there.\n')
        md.append(t + '\n')
        t = http_cpu_table(results)
        if t:
            md.append('What each server spent per request or handshake '
                      'over the same runs, the cost, where the rate above '
                      'can be the client\'s pace; the ratios are nginx\'s '
                      'cost over znet-httpd\'s, the rates one core would '
                      'sustain.  First the server process\'s own CPU time '
                      '(schedstat, exact; with the softirq work done in its '
                      'context): the ratio of the medians, and the median of '
                      'the ratios taken within each round, where the '
                      'host\'s slow phases weigh on both servers; then its '
                      'core\'s busy share from /proc/stat times the run: '
                      'tick samples (250 Hz on '
                      'the bench machine), which a server busy in bursts of '
                      '50-200 us aliases (bench/http.sh\'s proc_cpu).\n')
            md.append(t + '\n')
    t = dot_table(results)
    if t:
        md.append('## DNS over TLS: znet-dns-blocker and unbound (dnsperf)\n')
        md.append(f'unbound {meta.get("unbound", "?")} (one thread, Linux '
                  'over the veth pair) and znet-dns-blocker (on the TAP) '
                  'answer 240 names over DoT to dnsperf -m dot '
                  f'(dnsperf {meta.get("dnsperf", "?")}: 4 connections, 100 '
                  'queries in flight) with the same P-256 certificate.  '
                  'Both speak TLS 1.3 over kept connections.  Latency is '
                  'dnsperf\'s average '
                  '(bench/dot.sh).\n')
        md.append(t + '\n')
    t = posix_table(results)
    if t:
        md.append('## Unmodified programs: znet-run against the kernel\n')
        md.append(f'{meta.get("redis", "redis")}, nginx '
                  f'{meta.get("nginx", "?")} and {meta.get("curl", "curl")} '
                  'from Debian, unchanged: under znet-run on the TAP '
                  '(offloads on) and on the kernel\'s sockets over the veth '
                  'pair (offloads on), the measured program pinned to the '
                  'server core, its peer (redis-benchmark, wrk, or the '
                  'nginx curl fetches from) to the client core '
                  '(bench/posix.sh).  The ratio is znet\'s rate over the '
                  'kernel\'s (for curl, the kernel\'s time over znet\'s): '
                  'above 1, znet is ahead.  Over a veth the kernel runs the '
                  'receiving side\'s TCP in the sender\'s softirq, so the '
                  'kernel\'s program has part of its work done on its '
                  'peer\'s core; through the TAP znet does all of its own '
                  'on its core.  The last column counts both cores, which '
                  'takes that out.\n')
        md.append(t + '\n')
    t = pxcost_table(results)
    if t:
        md.append('The socket layer\'s own cost per call (bench/znb-pxcost: '
                  'two stacks over a memlink, a layer on each, one TCP '
                  'connection; callgrind counts only the measured calls, '
                  'all they do included: for send, the segment built and '
                  'handed to the link with its checksum computed, no '
                  'offload).  The times are medians of 20,000 calls each '
                  'timed with clock_gettime, the clock\'s own cost taken '
                  'off; Linux\'s are the same calls on a TCP connection '
                  'over loopback, a system call each.\n')
        md.append(t + '\n')
    md.extend(img_section(results, meta))
    md.extend(shards_section(results, meta))
    t = sendloss_table(results)
    if t:
        md.append('## Sending under loss: znet against Linux\n')
        md.append('Seconds to deliver 32 MiB to the same receiver '
                  '(znb-load tcp-recv, connect to last byte) with a random '
                  'share of the TCP frames dropped each way by nftables, '
                  'data and ACKs alike: znet (znb-znet --no-offload) '
                  'sending over the TAP, Linux sending over the veth pair, '
                  'offloads off on both, so one frame is one segment '
                  '(bench/sendloss.sh).  znet and the first Linux '
                  'column use CUBIC; the second Linux column is BBR (the '
                  'default of some kernels, this machine\'s among them), '
                  'whose window does not follow random loss.  The target '
                  'is znet/Linux CUBIC <= 1.\n')
        md.append(t + '\n')
    t = rttloss_table(results)
    if t:
        md.append('## Goodput with RTT and loss: znet against Linux\n')
        md.append('A bulk transfer for '
                  f'{meta.get("seconds", "?")} s over the TAP, znb-znet '
                  '--no-offload at the far end, with znet\'s fault injector '
                  'on its netif delaying every frame RTT/2 and losing that '
                  'share each way, so data and ACKs cross the same path '
                  'whichever side sends: znet sending (its source port to '
                  'znb-load tcp-recv) with CUBIC, its default, and with '
                  'BBR (draft-ietf-ccwg-bbr, BBRv3: its model bounds '
                  'inflight when a probe meets more than 2% loss), '
                  'against Linux sending (znb-load tcp-send into its '
                  'discard port) with CUBIC and with BBR (this kernel\'s '
                  'default, BBRv1, whose window does not follow random '
                  'loss at all), one server per cell and controller, the '
                  'senders\' order alternating by round.  Windows of '
                  '32 MiB both ways: znet\'s send buffer and receive '
                  'window, Linux\'s send buffer and advertised window '
                  '(autotuned to 32 MiB of tcp_wmem and 64 MiB of '
                  'tcp_rmem, of which Linux offers half as window), so '
                  'neither window caps a cell below 2.6 Gbit/s; the '
                  'injector may hold 32Ki frames (overflow: what it still '
                  'had to drop for want of room; TAP drops: frames the '
                  'kernel dropped on the way to znet because znet did not '
                  'read them fast enough, which Linux\'s sender sees as '
                  'loss).  The ratios are znet/Linux; above 1 znet sends '
                  'faster (bench/rttloss.sh).\n')
        md.append(t + '\n')
    t = mlseeds_table(results)
    if t:
        md.append('## Fixed transfers under loss on a virtual clock\n')
        md.append('`znb-memlink bulk --seeds`: znet to znet over memlink, '
                  'the fault injector at one end (loss each way, 10 ms RTT), '
                  'one transfer per seed, on a virtual clock that moves to '
                  'the next deadline, so the times are the protocol\'s '
                  '(waiting for timers and round trips, not computing) and '
                  'the same in every run of the same tree.  Counters are '
                  'both stacks\', summed over the transfers; 128 KiB '
                  'windows cap a transfer at about 105 Mbit/s.  The BBR '
                  'row is the TAP grid\'s 100 ms / 5% cell without the '
                  'kernel (CUBIC elsewhere); seeds-bbr.log has each '
                  'transfer\'s rate.\n')
        md.append(t + '\n')
    t = fairness_table(results)
    if t:
        md.append('## Fairness: two flows through one bottleneck\n')
        md.append('Two bulk flows started together from two senders to one '
                  'Linux receiver (znb-load tcp-recv from each sender\'s '
                  'source port) through a router whose link to the '
                  'receiver is a tbf of 100 Mbit/s with a queue of that '
                  'many bandwidth-delay products (BDP: 100 Mbit/s x 10 ms, '
                  '125 KB; burst 10 frames), behind which bench/znb-delay '
                  'holds every frame 5 ms each way: 10 ms base RTT for '
                  'both flows (this kernel has no netem; the relay is on '
                  'every flow\'s path, znet\'s injector is not used).  Flow '
                  'A is znet (znb-znet --no-offload on a TAP in the '
                  'router\'s namespace, --tcp-cc bbr: draft-ietf-ccwg-bbr, '
                  'BBRv3, paced; or cubic) or Linux; flow B is Linux, each '
                  'Linux sender in a namespace of its own (BBR: this '
                  'kernel\'s BBRv1).  Rates are the IP bytes each sender\'s '
                  'address delivered to the receiver (nftables counters) in '
                  'the last two thirds of the run; Jain\'s index is '
                  '(A+B)^2 / 2(A^2+B^2), 1 fair, 0.5 one flow takes all.  '
                  'Queueing delay: ping through the bottleneck every 0.1 s '
                  'during the run, less its idle median; backlog: the '
                  'tbf\'s, sampled every 0.5 s; retransmits: segments '
                  'retransmitted over segments sent, per sender '
                  '(bench/fairness.sh).\n')
        md.append(t + '\n')
    t = shortflow_table(results)
    if t:
        md.append('## Short transfers under loss\n')
        md.append('Downloads of a fixed size, one after another, each on a '
                  'new connection, from four senders to one Linux receiver '
                  'with 1% of the TCP frames dropped each way at the '
                  'receiver\'s link (nftables numgen random: data and ACKs, '
                  'SYNs and FINs alike), over the same router and relay '
                  'as the fairness runs, no bottleneck, with 0 or 10 ms '
                  'added RTT.  A transfer\'s time is from the receiver\'s '
                  'connect() to its read of the last byte (the sender '
                  'then sends its FIN), measured by the same program '
                  'whichever stack sends (znb-load tcp-recv -R; the '
                  'senders: znb-znet --source-bytes and znb-load serve '
                  '--source-bytes).  Percentiles of the transfers of one '
                  'run (nearest rank), median over rounds; ratios are '
                  'znet over Linux with the same congestion control, '
                  'above 1 znet is slower (bench/shortflow.sh).\n')
        md.append(t + '\n')
    start = len(md)
    md.append('## Goodput under loss (Mbit/s)\n')
    md.append('znet against znet over memlink with the fault injector at one '
              'end dropping that share of frames each way and delaying '
              'every frame RTT/2 each way; Linux against Linux over veth '
              '(offloads off) with nftables `numgen random` drop rules on '
              'the client\'s veth, each way (this kernel has no netem, so no '
              'added delay). One run per cell.  Both ends use 128 KiB '
              'windows, so without loss the goodput is bounded by '
              '128 KiB per RTT: about 105 Mbit/s at 10 ms and 10.5 Mbit/s at '
              '100 ms (less in a short run, which spends part of it in slow '
              'start).\n')
    md.append(loss_table(results) + '\n')
    keep_if(md, start, 'loss' in parts)
    md.append('## How it was run\n')
    md.append(f'    scripts/bench {meta.get("args", "")}\n')
    md.append('Raw results: results.tsv; lwIP\'s configuration: '
              'lwip-config.txt and bench/lwip/lwipopts.h; client and server '
              'errors: errors.log, servers.log (callgrind\'s own files stay '
              'in the build directory, run/callgrind/).')
    with open(os.path.join(d, 'report.md'), 'w') as f:
        f.write('\n'.join(md) + '\n')


if __name__ == '__main__':
    main()
