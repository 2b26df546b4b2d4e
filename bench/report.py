#!/usr/bin/env python3
"""Reads what bench/run measured (its work directory) and prints the tables, in Markdown.

    python3 bench/report.py WORK_DIR [--out FILE]

Every ratio is of two figures from the same run. A figure that is missing (a tool that did not
run) shows as "-" and its ratio as "n/a"; nothing here measures anything itself.
"""
import json
import math
import re
import sys
from pathlib import Path

ALGS = ["EdDSA", "ES256", "RS256"]
RSS_LIMIT_MB = 256


def read_tsv(path):
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "\t" in line:
                key, value = line.split("\t", 1)
                values[key] = value
    return values


def jmh(work, name, prefix, into):
    path = work / name
    if not path.exists():
        return
    for result in json.loads(path.read_text()):
        bench = result["benchmark"].rsplit(".", 2)
        cls, method = bench[-2], bench[-1]
        alg = result["params"]["alg"]
        score = float(result["primaryMetric"]["score"])
        error = float(result["primaryMetric"]["scoreError"])  # JMH writes "NaN" when it has too few iterations
        kind = {"TokenBenchmark": "", "ProviderBenchmark": "raw."}[cls]
        key = f"{prefix}{kind}{method}.{alg}"
        into[key] = score
        into[key + ".error"] = error if not math.isnan(error) else 0.0


def cpu_per_answer_us(http, kind, alg):
    """serve's CPU time (user + system, all its threads) per introspection answer in the measured run."""
    answers = float(http.get(f"introspect.{kind}.{alg}.answers", 0) or 0)
    seconds = http.get(f"introspect.{kind}.{alg}.cpu_seconds")
    if not answers or seconds is None:
        return None
    return float(seconds) * 1e6 / answers


def jose(work, into):
    path = work / "jose.txt"
    if path.exists():
        for line in path.read_text().splitlines():
            m = re.match(r"jose (mint|verify) (\w+) ([\d.]+)$", line.strip())
            if m:
                into[f"jose.{m[1]}.{m[2]}"] = float(m[3])


def gojose(work, into):
    path = work / "gojose.txt"
    if path.exists():
        for line in path.read_text().splitlines():
            m = re.match(r"Benchmark(Mint|Verify)/(\w+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op", line.strip())
            if m:
                into[f"gojose.{m[1].lower()}.{m[2]}"] = 1e9 / float(m[4])


def openssl(work, into):
    path = work / "openssl.txt"
    if not path.exists():
        return
    patterns = {
        "RS256": r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)",
        "ES256": r"256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)",
        "EdDSA": r"EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)",
    }
    for line in path.read_text().splitlines():
        for alg, pattern in patterns.items():
            m = re.search(pattern, line.strip())
            if m:
                into[f"openssl.sign.{alg}"] = float(m[1])
                into[f"openssl.verify.{alg}"] = float(m[2])


def wrk(path):
    """(requests per second, p50, p99) from wrk --latency output."""
    if not path.exists():
        return None
    text = path.read_text()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    if not rate:
        return None
    return float(rate[1]), p50[1] if p50 else "-", p99[1] if p99 else "-"


def num(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def with_error(v, err):
    if v is None:
        return "-"
    return f"{v:,.0f}" + (f" ± {err:,.0f}" if err else "")


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit("usage: report.py WORK_DIR [--out FILE]")
    work = Path(args[0])
    out = Path(args[args.index("--out") + 1]) if "--out" in args else None
    meta = read_tsv(work / "meta.tsv")
    http = read_tsv(work / "http.tsv")
    f = {}
    jmh(work, "jmh-1t.json", "", f)
    jmh(work, "jmh-2t.json", "t2.", f)
    jose(work, f)
    gojose(work, f)
    openssl(work, f)
    g = f.get

    lines = []
    w = lines.append
    quick = meta.get("mode") == "quick"
    w(f"## bench/run{' --quick' if quick else ''}, {meta.get('date', '?')}")
    w("")
    if quick:
        w("**Quick smoke run: short iterations, for checking the machinery. Do not quote these figures.**")
        w("")
    w(f"- machine: {meta.get('cpus', '?')} CPUs ({meta.get('cpu', '?')}), {meta.get('kernel', '?')}, "
      f"{meta.get('memory', '?')} RAM")
    w(f"- {meta.get('java', '?')}; ci-jwt crypto provider: **{meta.get('provider', '?')}** "
      f"({meta.get('provider_description', '?')}); `serve` reported {http.get('serve.provider', '?')} in readyz")
    w(f"- {meta.get('node', '?')} with jose {meta.get('jose', '?')}; {meta.get('go', '?')} with go-jose {meta.get('gojose', '?')}; "
      f"{meta.get('openssl', '?')}; {meta.get('wrk', '?')}; {meta.get('nginx', '?')}")
    w(f"- JMH: {meta.get('jmh', '?')}; one-core figures: {meta.get('pinning', '?')}; "
      f"wrk: {meta.get('wrk_settings', '?')}; introspection pool: {meta.get('pool', '?')} distinct tokens per algorithm")
    w("")

    w("### Ratios against the targets of issue 13 (each from this run)")
    w("")
    w("| measure | ci-jwt | baseline | ratio | target | met |")
    w("|---|---|---|---|---|---|")

    def row(what, a, b, target, unit=""):
        r = ratio(a, b)
        if r is None:
            w(f"| {what} | {num(a)}{unit} | {num(b)}{unit} | n/a | {target[0]} {target[1]} | n/a |")
            return
        met = r >= target[1] if target[0] == "≥" else r <= target[1]
        w(f"| {what} | {num(a)}{unit} | {num(b)}{unit} | {r:.2f} | {target[0]} {target[1]} | {'yes' if met else '**no**'} |")

    jose_targets = {"EdDSA": 3.0, "ES256": 3.0, "RS256": 1.3}
    for alg in ALGS:
        row(f"mint {alg}, one thread ÷ `jose` mint", g(f"mint.{alg}"), g(f"jose.mint.{alg}"), ("≥", jose_targets[alg]))
    for alg in ALGS:
        row(f"mint {alg}, one thread ÷ go-jose v4 mint", g(f"mint.{alg}"), g(f"gojose.mint.{alg}"), ("≥", 1.0))
    for alg in ALGS:
        row(f"mint {alg} (claims, sign, serialise) ÷ raw sign, same JVM", g(f"mint.{alg}"), g(f"raw.sign.{alg}"), ("≥", 0.7))
    for alg in ALGS:
        row(f"verify {alg} ÷ raw verify, same JVM", g(f"verify.{alg}"), g(f"raw.verify.{alg}"), ("≥", 0.7))
    for alg in ALGS:
        rate = wrk(work / f"introspect-distinct-{alg}.txt")
        raw = g(f"raw.verify.{alg}")
        row(f"introspection {alg}, distinct tokens, req/s ÷ (raw verify × 2)", rate[0] if rate else None,
            raw * 2 if raw else None, ("≥", 0.5))
    jwks = {name: wrk(work / f"jwks-{name}.txt") for name in ("cijwt", "bare", "nginx")}
    row("JWKS req/s: ci-jwt ÷ bare Vert.x, same bytes", jwks["cijwt"][0] if jwks["cijwt"] else None,
        jwks["bare"][0] if jwks["bare"] else None, ("≥", 0.9))
    # VmHWM is the kernel's own peak; the sampled maximum stands in if it is missing.
    peak_key = "rss.hwm_mb" if "rss.hwm_mb" in http else "rss.peak_mb"
    peak = float(http[peak_key]) if peak_key in http else None
    r = ratio(peak, RSS_LIMIT_MB)
    w(f"| `serve` peak RSS under introspection load (MB) ÷ {RSS_LIMIT_MB} MB | {num(peak)} MB "
      f"(start {http.get('rss.start_mb', '-')} MB) | {RSS_LIMIT_MB} MB | {'n/a' if r is None else f'{r:.2f}'} | < 1 | "
      f"{'n/a' if r is None else ('yes' if r < 1 else '**no**')} |")
    w("| agent RSS under load | n/a until the agent lands | | | < 256 MB | n/a |")
    w("| agent pre-flight latency | n/a until the agent lands | | | | n/a |")
    w("")

    w("### Other ratios from the same run (no target)")
    w("")
    w("| measure | ci-jwt | baseline | ratio |")
    w("|---|---|---|---|")

    def info(what, a, b):
        r = ratio(a, b)
        w(f"| {what} | {num(a)} | {num(b)} | {'n/a' if r is None else f'{r:.2f}'} |")

    for alg in ALGS:
        info(f"mint {alg}: two threads, one minter ÷ one thread", g(f"t2.mint.{alg}"), g(f"mint.{alg}"))
    for alg in ALGS:
        info(f"verify {alg}: ci-jwt ÷ `jose`", g(f"verify.{alg}"), g(f"jose.verify.{alg}"))
    for alg in ALGS:
        info(f"verify {alg}: ci-jwt ÷ go-jose", g(f"verify.{alg}"), g(f"gojose.verify.{alg}"))
    for alg in ALGS:
        info(f"raw sign {alg}: provider in the JVM ÷ `openssl speed`", g(f"raw.sign.{alg}"), g(f"openssl.sign.{alg}"))
    for alg in ALGS:
        info(f"raw verify {alg}: provider in the JVM ÷ `openssl speed`", g(f"raw.verify.{alg}"), g(f"openssl.verify.{alg}"))
    for alg in ALGS:
        one = wrk(work / f"introspect-repeated-{alg}.txt")
        distinct = wrk(work / f"introspect-distinct-{alg}.txt")
        info(f"introspection {alg}: one repeated token ÷ distinct tokens", one[0] if one else None,
             distinct[0] if distinct else None)
    info("JWKS req/s: ci-jwt ÷ nginx, same bytes", jwks["cijwt"][0] if jwks["cijwt"] else None,
         jwks["nginx"][0] if jwks["nginx"] else None)
    for alg in ALGS:
        # What one answer costs the server, in raw signature checks of the same JVM: 1.0 would mean
        # the HTTP, the parsing and the answer were free.
        cpu = cpu_per_answer_us(http, "distinct", alg)
        raw = g(f"raw.verify.{alg}")
        info(f"introspection {alg}, distinct tokens: serve CPU per answer (µs) ÷ one raw verify (µs)", cpu,
             1e6 / raw if raw else None)
    w("")

    w("### Rates per second (one thread unless said)")
    w("")
    w("| alg | ci-jwt mint | mint, 2 threads | raw sign (JVM) | `jose` mint | go-jose mint | `openssl speed` sign |")
    w("|---|---|---|---|---|---|---|")
    for alg in ALGS:
        w(f"| {alg} | {with_error(g(f'mint.{alg}'), g(f'mint.{alg}.error'))} "
          f"| {with_error(g(f't2.mint.{alg}'), g(f't2.mint.{alg}.error'))} "
          f"| {with_error(g(f'raw.sign.{alg}'), g(f'raw.sign.{alg}.error'))} | {num(g(f'jose.mint.{alg}'))} "
          f"| {num(g(f'gojose.mint.{alg}'))} | {num(g(f'openssl.sign.{alg}'))} |")
    w("")
    w("| alg | ci-jwt verify | raw verify (JVM) | `jose` verify | go-jose verify | `openssl speed` verify |")
    w("|---|---|---|---|---|---|")
    for alg in ALGS:
        w(f"| {alg} | {with_error(g(f'verify.{alg}'), g(f'verify.{alg}.error'))} "
          f"| {with_error(g(f'raw.verify.{alg}'), g(f'raw.verify.{alg}.error'))} | {num(g(f'jose.verify.{alg}'))} "
          f"| {num(g(f'gojose.verify.{alg}'))} | {num(g(f'openssl.verify.{alg}'))} |")
    w("")
    w("| HTTP, wrk on the same CPUs | req/s | p50 | p99 | answers not active | answered by the signature cache "
      "| serve CPU per answer |")
    w("|---|---|---|---|---|---|---|")
    for name, label in (("cijwt", "JWKS, ci-jwt serve"), ("bare", "JWKS, bare Vert.x, same bytes"),
                        ("nginx", "JWKS, nginx, same bytes")):
        res = jwks[name]
        w(f"| {label} | {num(res[0]) if res else '-'} | {res[1] if res else '-'} | {res[2] if res else '-'} | | | |")
    for kind, label in (("distinct", "distinct tokens"), ("repeated", "one repeated token")):
        for alg in ALGS:
            res = wrk(work / f"introspect-{kind}-{alg}.txt")
            answers = float(http.get(f"introspect.{kind}.{alg}.answers", 0) or 0)
            hits = float(http.get(f"introspect.{kind}.{alg}.cache_hits", 0) or 0)
            share = f"{100 * hits / answers:.1f} %" if answers else "-"
            cpu = cpu_per_answer_us(http, kind, alg)
            w(f"| introspection {alg}, {label} | {num(res[0]) if res else '-'} | {res[1] if res else '-'} "
              f"| {res[2] if res else '-'} | {http.get(f'introspect.{kind}.{alg}.not_active', '-')} | {share} "
              f"| {'-' if cpu is None else f'{cpu:.0f} µs'} |")
    w("")

    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if out:
        out.write_text(text)


if __name__ == "__main__":
    main()
