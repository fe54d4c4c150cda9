#!/usr/bin/env python3
"""Turns the raw iperf3 JSON and ping output of bench/e2e/run.sh into results.json, table.md and ratios.svg."""
import json
import os
import re
import statistics
import sys

raw, out, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
BASELINE = "kernel-veth"
SYSTEMS = [("wirestack-packet", "Wirestack AF_PACKET"), ("wirestack-xdp", "Wirestack AF_XDP"), ("wirestack-tap", "Wirestack TAP")]
# (key, label, unit, higher is better)
METRICS = [
    ("tcp-P1", "TCP -P 1, server receives", "Gbit/s", True),
    ("tcp-P1-R", "TCP -P 1 -R, server sends", "Gbit/s", True),
    ("tcp-P4", "TCP -P 4, server receives", "Gbit/s", True),
    ("tcp-P4-R", "TCP -P 4 -R, server sends", "Gbit/s", True),
    ("udp64", "UDP 64 B, server receives", "kpps", True),
    ("udp64-R", "UDP 64 B -R, server sends", "kpps", True),
    ("ping-p50", "ping RTT p50", "us", False),
    ("ping-p99", "ping RTT p99", "us", False),
]


def iperf(system, name):
    path = os.path.join(raw, f"{system}.{name}.json")
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if "error" in data:
        return None
    end = data.get("end", {})
    if name.startswith("tcp"):
        received = end.get("sum_received", {})
        bps = received.get("bits_per_second")
        return None if bps is None else bps / 1e9
    total = end.get("sum", {})
    packets, lost, secs = total.get("packets"), total.get("lost_packets", 0), total.get("seconds")
    if not packets or not secs:
        return None
    return (packets - lost) / secs / 1e3


def ping(system):
    path = os.path.join(raw, f"{system}.ping.txt")
    try:
        with open(path) as f:
            times = [float(m.group(1)) * 1000 for m in re.finditer(r"time=([0-9.]+) ms", f.read())]
    except OSError:
        return None, None
    if len(times) < 10:
        return None, None
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


results = {}
for system in [BASELINE] + [s for s, _ in SYSTEMS]:
    row = {name: iperf(system, name) for name, _, _, _ in METRICS if not name.startswith("ping")}
    row["ping-p50"], row["ping-p99"] = ping(system)
    results[system] = row


def ratio(value, base, higher):
    if value is None or base is None or value == 0 or base == 0:
        return None
    return value / base if higher else base / value


def fmt(value, unit):
    if value is None:
        return "failed"
    return f"{value:.2f}" if unit == "Gbit/s" else f"{value:.0f}"


lines = [
    f"Each run {seconds} s; the kernel column is the kernel's own stack on both ends of a veth pair. Ratios are",
    "Wirestack / kernel for rates and kernel / Wirestack for RTT, so above 1 means Wirestack is better.",
    "",
    "| metric | kernel (veth) | " + " | ".join(f"{label} | ratio" for _, label in SYSTEMS) + " |",
    "|---|---:|" + "---:|---:|" * len(SYSTEMS),
]
ratios = {}
for name, label, unit, higher in METRICS:
    base = results[BASELINE].get(name)
    cells = [f"{label} ({unit})", fmt(base, unit)]
    for system, _ in SYSTEMS:
        value = results[system].get(name)
        r = ratio(value, base, higher)
        ratios.setdefault(system, {})[name] = r
        cells += [fmt(value, unit), "n/a" if r is None else f"{r:.2f}x"]
    lines.append("| " + " | ".join(cells) + " |")
table = "\n".join(lines) + "\n"

with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"seconds": float(seconds), "results": results, "ratios": ratios}, f, indent=2)
with open(os.path.join(out, "table.md"), "w") as f:
    f.write(table)

# A grouped bar chart of the ratios, one group per metric, with the kernel at 1.0.
width, height, left, top, bottom = 900, 420, 60, 40, 120
plot_w, plot_h = width - left - 20, height - top - bottom
values = [r for sys_r in ratios.values() for r in sys_r.values() if r is not None]
ymax = max([1.2] + [v * 1.1 for v in values])
colors = ["#1f77b4", "#2ca02c", "#ff7f0e"]
group = plot_w / len(METRICS)
bar = group / (len(SYSTEMS) + 1)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
       f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">Wirestack / kernel (above 1 = Wirestack better)</text>']
for tick in range(0, int(ymax * 4) + 1):
    v = tick / 4
    y = top + plot_h - v / ymax * plot_h
    svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{"#000" if v == 1 else "#ddd"}"/>')
    svg.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.2f}</text>')
for i, (name, label, unit, _) in enumerate(METRICS):
    x0 = left + i * group + bar / 2
    for j, (system, _) in enumerate(SYSTEMS):
        r = ratios[system].get(name)
        if r is None:
            continue
        h = r / ymax * plot_h
        svg.append(f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar * 0.9:.1f}" height="{h:.1f}" fill="{colors[j]}"><title>{label}: {r:.2f}x</title></rect>')
    cx = left + i * group + group / 2
    svg.append(f'<text transform="translate({cx:.1f},{top + plot_h + 10}) rotate(35)" text-anchor="start">{label}</text>')
for j, (_, label) in enumerate(SYSTEMS):
    svg.append(f'<rect x="{left + j * 180}" y="{height - 18}" width="12" height="12" fill="{colors[j]}"/><text x="{left + j * 180 + 16}" y="{height - 8}">{label}</text>')
svg.append("</svg>")
with open(os.path.join(out, "ratios.svg"), "w") as f:
    f.write("\n".join(svg) + "\n")

print(table)
print(f"written: {os.path.join(out, 'table.md')}, {os.path.join(out, 'results.json')}, {os.path.join(out, 'ratios.svg')}")
