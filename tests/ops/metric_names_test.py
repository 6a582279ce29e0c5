"""tests/ops/metric_names_test.py KRYPTOD SOURCE_DIR: every series that the
Prometheus rules and the Grafana dashboard in contrib/ query is one the
running daemon's GET /metrics exports, with the label values they match.

A metric renamed in the daemon would otherwise leave an alert that can never
fire and a panel that stays empty, silently.
"""

import json
import os
import re
import sys
import tempfile

import yaml

from kryptod_process import Kryptod

binary, source = sys.argv[1], sys.argv[2]

# Series the daemon exports: family -> type, and the label sets seen.
with tempfile.TemporaryDirectory() as data:
    daemon = Kryptod(binary, data)
    try:
        status, text = daemon.request("GET", "/metrics")
    finally:
        daemon.stop()
assert status == 200, f"GET /metrics answered {status}"
types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
labels = {}
for line in text.splitlines():
    m = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+$", line)
    if m:
        labels.setdefault(m.group(1), []).append(dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")))
assert "kryptod_ticks_total" in types, f"no kryptod metrics in:\n{text}"


def family(name):
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return None


def check(where, expr):
    problems = []
    # Metric names outside string literals (job="kryptod_readyz" is a label).
    bare = re.sub(r'"[^"]*"', '""', expr)
    for name in set(re.findall(r"\bkryptod_\w+", bare)):
        if family(name) is None:
            problems.append(f"{where}: {name} is not exported by GET /metrics")
    # Label matchers on kryptod series, other than those Prometheus adds.
    for name, matchers in re.findall(r"\b(kryptod_\w+)\{([^}]*)\}", expr):
        if family(name) is None:
            continue
        seen = labels.get(name, [])
        for label, op, value in re.findall(r'(\w+)\s*(=~|!=|=)\s*"([^"]*)"', matchers):
            if label in ("job", "instance") or op == "!=":
                continue
            wanted = value.split("|") if op == "=~" else [value]
            for v in wanted:
                if not re.fullmatch(r"[\w.]+", v):
                    continue
                if not any(s.get(label) == v for s in seen):
                    problems.append(f'{where}: {name} has no series with {label}="{v}"')
    return problems


exprs = []
with open(os.path.join(source, "contrib/prometheus/kryptod-rules.yml")) as f:
    for group in yaml.safe_load(f)["groups"]:
        for rule in group["rules"]:
            exprs.append((f"rule {rule['alert']}", rule["expr"]))
with open(os.path.join(source, "contrib/grafana/kryptod.json")) as f:
    dashboard = json.load(f)
for panel in dashboard["panels"]:
    for target in panel.get("targets", []):
        exprs.append((f"panel {panel['title']!r}", target["expr"]))
for variable in dashboard["templating"]["list"]:
    if variable["type"] == "query":
        exprs.append((f"variable {variable['name']}", variable["definition"]))

problems = [p for where, expr in exprs for p in check(where, expr)]
used = {family(n) for _, e in exprs for n in re.findall(r"\bkryptod_\w+", re.sub(r'"[^"]*"', '""', e))}
print(f"{len(exprs)} queries checked; exported families not on the dashboard or in a rule: "
      f"{sorted(set(f for f in types if f.startswith('kryptod_')) - used) or 'none'}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
