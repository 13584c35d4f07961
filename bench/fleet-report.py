#!/usr/bin/python3
"""DIR/report.md from DIR/results.tsv of bench/fleet.sh (its header says
what each figure is).

    bench/fleet-report.py DIR
"""
import os
import sys

# Published anchors, as their authors report them (different machines:
# the ratios say where znet stands, not who is faster).
UNIKRAFT_FIRST_MS = 4.0     # Unikraft Cloud: nginx ready, the first instance
UNIKRAFT_5000TH_MS = 14.0   # ... and the 5,000th, one 24-core, 64 GiB host
OSV_BOOTS_PER_S = 1800.0    # OSv: boots a second on one metal host
TARGET_P99_MS = 14.0        # the targets on this 2-core, 24 GiB machine
TARGET_MIB = 6.0
TARGET_IDLE_PCT = 2.0


def load(path):
    meta, boots, ats, downs = {}, {}, [], []
    with open(path) as f:
        for line in f:
            c = line.rstrip('\n').split('\t')
            if c[0] == 'meta' and len(c) >= 3:
                meta[c[1]] = c[2]
            elif c[0] == 'boot' and len(c) == 8:
                boots.setdefault(c[1], {})[int(c[2])] = [float(x) for x in c[3:]]
            elif c[0] == 'at' and len(c) == 13:
                ats.append({'ramp': c[1], 'n': int(c[2]), 'pss': int(c[3]),
                            'drop': int(c[4]), 'secs': float(c[5]),
                            'busy': float(c[6]), 'kernel': float(c[7]),
                            'ticks': int(c[8]), 'ctxsw': int(c[9]),
                            'answered': int(c[10]), 'hz': int(c[11]),
                            'wait': int(c[12])})
            elif c[0] == 'down' and len(c) == 5:
                downs.append({'ramp': c[1], 'n': int(c[2]), 'stop': int(c[3]),
                              'left': int(c[4])})
    return meta, boots, ats, downs


def nearest_rank(vals, pct):
    s = sorted(vals)
    k = max(1, -(-len(s) * pct // 100))
    return s[int(k) - 1]


def median(vals):
    s = sorted(vals)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def ms(us):
    return f'{us / 1000:.2f}'


RAMPS = {'seq': 'one at a time', 'burst': 'in bursts'}


def boot_table(meta, boots, ats):
    md = ['| ramp | images running | instances | answer: median ms | p99 ms | '
          'max ms | p99 / 14 ms target | tender (to the first output) median '
          'ms | stack up median ms | guest (first output to answer) median '
          'ms | images started a second, 0 to N |',
          '|---|---|---|---|---|---|---|---|---|---|---|']
    for ramp in ('seq', 'burst'):
        b = boots.get(ramp, {})
        for n in sorted({a['n'] for a in ats if a['ramp'] == ramp}):
            ks = [k for k in range(max(1, n - 99), n + 1) if k in b]
            if not ks:
                continue
            ans = [b[k][0] for k in ks]
            con = [b[k][2] for k in ks if b[k][2] >= 0]
            net = [b[k][4] for k in ks if b[k][4] >= 0]
            guest = [b[k][0] - b[k][2] for k in ks if b[k][2] >= 0]
            p99 = nearest_rank(ans, 99)
            rms = meta.get(f'{ramp}_ramp_ms_{n}')
            rate = f'{n / (int(rms) / 1000):,.0f}' if rms and int(rms) > 0 else '-'
            name = RAMPS[ramp] + (f' ({meta.get("burst", "?")})' if ramp == 'burst' else '')
            md.append(f'| {name} | {n:,} | {ks[0]:,}-{ks[-1]:,} | '
                      f'{ms(median(ans))} | {ms(p99)} | {ms(max(ans))} | '
                      f'{p99 / 1000 / TARGET_P99_MS:.2f} | '
                      f'{ms(median(con)) if con else "-"} | '
                      f'{ms(median(net)) if net else "-"} | '
                      f'{ms(median(guest)) if guest else "-"} | {rate} |')
    return md


def first_boots(boots):
    b = boots.get('seq', {})
    if 1 not in b:
        return None
    return b[1][0]


def host_table(ats, meta):
    pods = float(meta.get('kernel_pods_pct', 'nan'))
    md = ['| ramp | images running | tender PSS per image MiB | / 6 MiB '
          'target | MemAvailable drop per image MiB | idle from s after '
          'the last answer | machine busy, % of one core | the kernel\'s '
          'and the tenders\' | that less the pods alone | / 2% target | '
          'tenders\' own CPU, % of one core | wake-ups per image per second '
          '| answered |',
          '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for a in ats:
        n = a['n']
        pss = a['pss'] / n / 1024
        drop = a['drop'] / n / 1024
        tcpu = 100 * a['ticks'] / a['hz'] / a['secs']
        wake = a['ctxsw'] / n / a['secs']
        net = a['kernel'] - pods
        md.append(f'| {RAMPS[a["ramp"]]} | {n:,} | {pss:.2f} | '
                  f'{pss / TARGET_MIB:.2f} | {drop:.2f} | {a["wait"]} | '
                  f'{a["busy"]:.2f} | {a["kernel"]:.2f} | {net:.2f} | '
                  f'{max(net, 0) / TARGET_IDLE_PCT:.2f} | '
                  f'{tcpu:.2f} | {wake:.4f} | {a["answered"]:,} of {n:,} |')
    return md


def down_table(downs):
    md = ['| ramp | images | SIGTERM to the last tender gone ms | '
          'tenders left |', '|---|---|---|---|']
    for d in downs:
        md.append(f'| {RAMPS[d["ramp"]]} | {d["n"]:,} | {d["stop"]:,} | '
                  f'{d["left"]} |')
    return md


def main():
    d = sys.argv[1]
    meta, boots, ats, downs = load(os.path.join(d, 'results.tsv'))
    n = meta.get('n', '?')
    gib = int(meta.get('mem_kib', '0')) / 1048576
    md = ['# A fleet of nginx images on one host\n',
          f'Run: {meta.get("date", "?")}; znet {meta.get("znet", "?")}; '
          f'machine: {meta.get("cpu", "?")}, {meta.get("cpus", "?")} CPUs, '
          f'{gib:.0f} GiB, Linux {meta.get("kernel", "?")}; command: '
          f'`{meta.get("command", "bench/fleet.sh")}`.\n',
          f'nginx.spt from scripts/images (Debian\'s nginx 1.22.1 built by '
          f'znet-cc), each under its own solo5-spt ({meta.get("solo5", "?")}) '
          f'with --mem={meta.get("mem", "?")}, on its own TAP in a pod\'s '
          f'network namespace, joined by tc redirects to a veth whose other '
          f'end is an isolated port of one Linux bridge; {n} images started '
          f'one at a '
          f'time, then {n} again {meta.get("burst", "?")} at once, each ramp '
          f'from an empty host (bench/fleet.sh says how each figure is '
          f'taken).  Load average (1, 5, 15 minutes) at the start: '
          f'{meta.get("load_start", "?")}; at the end: '
          f'{meta.get("load_end", "?")}.  Nothing here is asserted.\n']
    md.append('## Boot to first answer\n')
    md.append('From just before bench/znb-boot forks the tender to nginx\'s '
              'first HTTP 200 on a connection from the host, the last 100 '
              'instances before each size (p99 by nearest rank: of 100, the '
              'second slowest).  Each boot loads the image, maps its memory, '
              'attaches the TAP, and the image ARPs for the bridge\'s '
              'address.  The tender\'s part ends at the guest\'s first '
              'console output; the stack is up at its "znet-rt: ADDR mac" '
              'line (both as the log file grows, to 0.2-1 ms).  The last '
              'column: images up from the ramp\'s start to that size, '
              'divided by the time (measurements at smaller sizes not '
              'counted); it includes the driver\'s own work for each image '
              '(a shell, `ip netns exec`, znb-boot\'s fork and its polling), '
              'so it is a floor of the host\'s rate, not the tenders\' '
              'limit.\n')
    md += boot_table(meta, boots, ats)
    f1 = first_boots(boots)
    md.append('')
    md.append('Anchors (published, other machines): Unikraft Cloud reports '
              f'nginx ready in about {UNIKRAFT_FIRST_MS:.0f} ms for the first '
              f'instance and {UNIKRAFT_5000TH_MS:.0f} ms for the 5,000th, on '
              'one 24-core, 64 GiB host; OSv reports '
              f'{OSV_BOOTS_PER_S:,.0f} boots a second on one metal host.'
              + (f'  Here the first image answered in {ms(f1)} ms '
                 f'({f1 / 1000 / UNIKRAFT_FIRST_MS:.2f}x Unikraft\'s first).'
                 if f1 is not None else '') + '\n')
    md.append('## What the fleet costs the host\n')
    md.append('Taken at each size once the last image answered and some '
              'seconds passed (the table says how many: 3 s is past each '
              'image\'s second ARP announcement, RFC 5227\'s 2 s after its '
              'first; at the full size the wait is past every timer an image '
              'has left after its boot: the 60 s TIME_WAITs of its boot\'s '
              'connections, its ARP entry for the gateway going stale 60 s '
              'after its last confirmation and dropped 60 s later, so a '
              'wake-up there is one that nothing was due for), the fleet '
              'idle (no client) over '
              f'{meta.get("idle_secs", "?")} s: the tenders\' PSS (pages '
              'shared among them, the image file\'s and the tender\'s own '
              'code, count a share each), MemAvailable\'s drop since the '
              'ramp began (everything: the guests\' touched memory, the '
              'TAPs, page tables), the whole machine\'s busy CPU and the '
              'tenders\' own, their context switches (each a wake-up of an '
              'image) per image per second, and how many answered one GET '
              'each afterwards.  Targets: at most 6 MiB per image, idle CPU '
              'of 1,000 under 2% of one core.\n')
    md += host_table(ats, meta)
    md.append('')
    md.append(f'"The kernel\'s and the tenders\'": the machine\'s busy CPU '
              f'less the CPU time of every process but the kernel\'s threads '
              f'and the tenders (this sandbox\'s own agent, PID 1 here, and '
              f'the measuring shell), so what is left is the fleet\'s.  The '
              f'machine alone, before the pods were made: '
              f'{meta.get("busy_empty_pct", "?")}% busy, of which the '
              f'kernel\'s {meta.get("kernel_empty_pct", "?")}%; with the {n} '
              f'pods\' namespaces, veths, TAPs and redirects and no image: '
              f'{meta.get("busy_pods_pct", "?")}%, the kernel\'s '
              f'{meta.get("kernel_pods_pct", "?")}%.  "That less the pods '
              f'alone" is the images\' share; the target is judged on it (a '
              f'negative figure is noise).')
    md.append('')
    md.append('## Tear-down\n')
    md.append(f'SIGTERM to every tender at once, the time until the last is '
              f'gone (a zombie counts as gone).  The pods\' network, made '
              f'once before the first ramp and not in any boot: '
              f'{int(meta.get("pods_ms", "0")):,} ms to make the {n} '
              f'namespaces, veth pairs, TAPs and redirects; '
              f'{int(meta.get("pods_down_ms", "0")):,} ms to delete the '
              f'namespaces at the end (one `ip -batch`; the kernel frees '
              f'their devices after it, in the background).\n')
    md += down_table(downs)
    md.append('')
    md.append('## How it was run\n')
    md.append(f'    {meta.get("command", "bench/fleet.sh")}\n')
    md.append('Raw results: results.tsv; what failed: errors.log (not kept '
              'in git); notes.md, where there is one, was written by hand '
              'about the run.')
    with open(os.path.join(d, 'report.md'), 'w') as f:
        f.write('\n'.join(md) + '\n')


if __name__ == '__main__':
    main()
