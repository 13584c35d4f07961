#!/usr/bin/env python3
"""Write DIR/report.md from DIR/results.tsv (bench/langs.sh).

    bench/langs-report.py DIR

results.tsv: "meta KEY - VALUE" lines and "ROUND WAY WORKLOAD LINE"
lines, LINE a "znb mode=... key=value ..." line (bench/README.md)."""
import statistics
import sys
from collections import defaultdict


def kv(line):
    out = {}
    for word in line.split():
        if "=" in word:
            k, v = word.split("=", 1)
            out[k] = v
    return out


def pct(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    i = min(len(s) - 1, max(0, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[i]


def ms(us):
    return "%.1f" % (us / 1000.0)


def main():
    d = sys.argv[1]
    meta = {}
    boots = defaultdict(list)    # (prog, way) -> answer_us
    rates = defaultdict(list)    # (workload, way) -> value
    sizes = {}
    with open(d + "/results.tsv") as f:
        for raw in f:
            parts = raw.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            rnd, way, wl, line = parts
            if rnd == "meta":
                meta[way if way != "-" else wl] = line
                continue
            v = kv(line)
            if wl.startswith("boot-"):
                boots[(wl[5:], way)].append(float(v["answer_us"]))
            elif wl.startswith("size-"):
                sizes[wl[5:]] = v
            elif wl in ("rate-python", "rate-rust"):
                rates[(wl[5:], way)].append(float(v["rps"]))
            elif wl == "rate-zmq-lat" and float(v["latency_us"]) > 0:
                rates[("zmq-lat", way)].append(1e6 / float(v["latency_us"]))
            elif wl == "rate-zmq-thr":
                rates[("zmq-thr", way)].append(float(v["msgs"]))
    out = []
    out.append("# Beyond C: Python, C++ and Rust images beside the same programs on Linux")
    out.append("")
    out.append("Run: %s; znet %s; machine: %s; command: `%s`."
               % (meta.get("date", "?"), meta.get("znet", "?"), meta.get("machine", "?"),
                  meta.get("command", "bench/langs.sh")))
    out.append("")
    out.append("Python: %s.  Each image under solo5-spt on a TAP, each Linux process "
               "behind a veth pair; servers on CPU 0, clients on CPU 1 (bench/langs.sh "
               "says how each figure is taken).  Nothing here is asserted."
               % meta.get("python", "?"))
    out.append("")
    out.append("## Size")
    out.append("")
    out.append("| image | unstripped | stripped | root archive |")
    out.append("|---|---:|---:|---:|")
    for name, v in sorted(sizes.items()):
        root = int(v.get("root", 0))
        out.append("| %s.spt | %s | %s | %s |" % (
            name, "{:,}".format(int(v["bytes"])), "{:,}".format(int(v["stripped"])),
            "{:,}".format(root) if root else "none"))
    out.append("")
    out.append("## Boot to first answer (ms)")
    out.append("")
    out.append("| program | way | boots | median | p99 | min | image / Linux (median) |")
    out.append("|---|---|---:|---:|---:|---:|---:|")
    names = {"python": "python (app.py, HTTP 200)", "zmq-lat": "zeromq local_lat (ZMTP greeting)",
             "rust": "rust (hyper on tokio, HTTP 200)"}
    for prog in ("python", "zmq-lat", "rust"):
        lin = boots.get((prog, "linux"), [])
        for way in ("spt", "linux"):
            b = boots.get((prog, way), [])
            if not b:
                continue
            ratio = ""
            if way == "spt" and lin:
                ratio = "%.2fx" % (statistics.median(b) / statistics.median(lin))
            out.append("| %s | %s | %d | %s | %s | %s | %s |" % (
                names[prog], "image (spt)" if way == "spt" else "Linux process", len(b),
                ms(statistics.median(b)), ms(pct(b, 99)), ms(min(b)), ratio))
    out.append("")
    out.append("## Rates (median of the rounds, min-max)")
    out.append("")
    out.append("| workload | image (spt) | Linux process | image / Linux |")
    out.append("|---|---:|---:|---:|")
    labels = {"python": "app.py GET /, wrk -t1 -c4 (requests/s)",
              "zmq-lat": "local_lat, 100 B round trips (per s)",
              "zmq-thr": "local_thr, 100 B messages (per s)",
              "rust": "hyper GET /, wrk -t1 -c4 (requests/s)"}
    for wl in ("python", "zmq-lat", "zmq-thr", "rust"):
        s, lin = rates.get((wl, "spt"), []), rates.get((wl, "linux"), [])
        if not s or not lin:
            continue
        out.append("| %s | %s (%s-%s) | %s (%s-%s) | %.2fx |" % (
            labels[wl], "{:,.0f}".format(statistics.median(s)), "{:,.0f}".format(min(s)),
            "{:,.0f}".format(max(s)), "{:,.0f}".format(statistics.median(lin)),
            "{:,.0f}".format(min(lin)), "{:,.0f}".format(max(lin)),
            statistics.median(s) / statistics.median(lin)))
    out.append("")
    with open(d + "/report.md", "w") as f:
        f.write("\n".join(out))
    print("\n".join(out))


main()
