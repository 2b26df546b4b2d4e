#!/usr/bin/env python3
"""Reads what bench/run measured (its work directory) and prints the tables, in Markdown.

    python3 bench/report.py WORK_DIR [--out FILE]

Every ratio is of two figures from the same run. A figure of a part the run skipped (bench/run
--only agent) shows as "not run", one its part should have produced but did not as "-"; either
way its ratio is "n/a". Nothing here measures anything itself.
"""
import json
import math
import re
import sys
from pathlib import Path

ALGS = ["EdDSA", "ES256", "RS256"]
RSS_LIMIT_MB = 256
ALL_PARTS = "jmh tools http agent"
# The agent's profiles in bench/run's agent.yml, one per algorithm measured through its socket.
AGENT_PROFILES = {"EdDSA": "eddsa", "ES256": "es256"}
PREFLIGHT_P99_MS = 5.0  # issue 10's target for the agent's create


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


def cache_share(http, kind, alg):
    """The share of the measured run's answers that the signature cache gave, as text."""
    answers = float(http.get(f"introspect.{kind}.{alg}.answers", 0) or 0)
    hits = http.get(f"introspect.{kind}.{alg}.cache_hits")
    if not answers or hits is None:
        return None
    return f"{100 * float(hits) / answers:.1f} %"


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


def agent_latency(path):
    """The row agentload latency prints: POST, DELETE and pair p50/p99, CPU and CPU wait per pair (ms)."""
    if not path.exists():
        return None
    m = re.match(r"\|\s*\w+\s*\|\s*(\d+)\s*\|\s*([\d.]+) / ([\d.]+)\s*\|\s*([\d.]+) / ([\d.]+)\s*\|"
                 r"\s*([\d.]+) / ([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|", path.read_text().strip())
    if not m:
        return None
    keys = ["pairs", "post_p50", "post_p99", "delete_p50", "delete_p99", "pair_p50", "pair_p99", "cpu", "wait"]
    return {k: float(v) for k, v in zip(keys, m.groups())}


def isnum(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def num(v, digits=0):
    """A figure; a string in its place says why it is missing ("not run", "-")."""
    if isinstance(v, str):
        return v
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def with_unit(v, unit, digits=0):
    return f"{num(v, digits)} {unit}" if isnum(v) else num(v)


def with_error(v, err):
    if not isnum(v):
        return num(v)
    return f"{v:,.0f}" + (f" ± {err:,.0f}" if isnum(err) and err else "")


def ratio(a, b):
    if not isnum(a) or not isnum(b) or b == 0:
        return None
    return a / b


def cell(res, i):
    """Field i of a parsed result (a wrk tuple), or the reason it is missing."""
    return res[i] if isinstance(res, tuple) else num(res)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit("usage: report.py WORK_DIR [--out FILE]")
    work = Path(args[0])
    out = Path(args[args.index("--out") + 1]) if "--out" in args else None
    meta = read_tsv(work / "meta.tsv")
    http = read_tsv(work / "http.tsv")
    agent = read_tsv(work / "agent.tsv")
    parts = set(meta.get("parts", ALL_PARTS).split())

    def absent(part):
        return "-" if part in parts else "not run"

    f = {}
    jmh(work, "jmh-1t.json", "", f)
    jmh(work, "jmh-2t.json", "t2.", f)
    jose(work, f)
    gojose(work, f)
    openssl(work, f)

    def g(key):
        if key in f:
            return f[key]
        return absent("tools" if key.split(".")[0] in ("jose", "gojose", "openssl") else "jmh")

    def wrk_result(name):
        res = wrk(work / f"{name}.txt")
        return res if res else absent("http")

    def http_fig(key):  # a count or MB from http.tsv
        return int(http[key]) if key in http else absent("http")

    def agent_kib(key):  # KiB in agent.tsv, MB (MiB, like serve's row) here
        return int(agent[key]) / 1024 if key in agent else absent("agent")

    def count(key):  # a count from agent.tsv, with thousands separators like the other figures
        return f"{int(agent[key]):,}" if agent.get(key, "").isdigit() else "?"

    latency = {alg: agent_latency(work / f"agent-latency-{profile}.txt") or absent("agent")
               for alg, profile in AGENT_PROFILES.items()}

    lines = []
    w = lines.append
    quick = meta.get("mode") == "quick"
    partial = parts != set(ALL_PARTS.split())
    w(f"## bench/run{' --quick' if quick else ''}{' --only ' + ' '.join(sorted(parts)) if partial else ''}, "
      f"{meta.get('date', '?')}")
    w("")
    if quick:
        w("**Quick smoke run: short iterations, for checking the machinery. Do not quote these figures.**")
        w("")
    if partial:
        w(f"**Partial run: only {', '.join(sorted(parts))}; the other figures say \"not run\".**")
        w("")
    w(f"- machine: {meta.get('cpus', '?')} CPUs ({meta.get('cpu', '?')}), {meta.get('kernel', '?')}, "
      f"{meta.get('memory', '?')} RAM")
    serve = f"; `serve` reported {http.get('serve.provider', '?')} in readyz" if "http" in parts else ""
    w(f"- {meta.get('java', '?')}; ci-jwt crypto provider: **{meta.get('provider', '?')}** "
      f"({meta.get('provider_description', '?')}){serve}")
    tools = []
    if "tools" in parts:
        tools += [f"{meta.get('node', '?')} with jose {meta.get('jose', '?')}",
                  f"{meta.get('go', '?')} with go-jose {meta.get('gojose', '?')}", meta.get("openssl", "?")]
    elif "agent" in parts:
        tools.append(meta.get("go", "?"))
    if "http" in parts:
        tools += [meta.get("wrk", "?"), meta.get("nginx", "?")]
    if tools:
        w(f"- {'; '.join(tools)}")
    settings = []
    if "jmh" in parts:
        settings.append(f"JMH: {meta.get('jmh', '?')}; one-core figures: {meta.get('pinning', '?')}")
    if "http" in parts:
        settings.append(f"wrk: {meta.get('wrk_settings', '?')}; introspection pool: {meta.get('pool', '?')} "
                        "distinct tokens per algorithm")
    if settings:
        w(f"- {'; '.join(settings)}")
    if "agent" in parts:
        w(f"- agent: `./ci-jwt agent` (the launcher's JVM settings; it logged crypto provider "
          f"{agent.get('provider') or '?'}), ephemeral keys in memory, state dir and "
          f"bundles on {agent.get('dir', '?')}; {count('warmup')} warm-up POST+DELETE pairs per algorithm, "
          f"then {count('fill')} containers created and left live, then {count('pairs')} measured "
          f"pairs per algorithm, one at a time; load average {agent.get('load_start', '?')} at its start, "
          f"{agent.get('load_end', '?')} at its end")
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
        rate = wrk_result(f"introspect-distinct-{alg}")
        raw = g(f"raw.verify.{alg}")
        row(f"introspection {alg}, distinct tokens, req/s ÷ (raw verify × 2)", cell(rate, 0),
            raw * 2 if isnum(raw) else raw, ("≥", 0.5))
    jwks = {name: wrk_result(f"jwks-{name}") for name in ("cijwt", "bare", "nginx")}
    row("JWKS req/s: ci-jwt ÷ bare Vert.x, same bytes", cell(jwks["cijwt"], 0), cell(jwks["bare"], 0), ("≥", 0.9))
    # VmHWM is the kernel's own peak; the sampled maximum stands in if it is missing.
    peak_key = "rss.hwm_mb" if "rss.hwm_mb" in http else "rss.peak_mb"
    peak = float(http[peak_key]) if peak_key in http else absent("http")
    r = ratio(peak, RSS_LIMIT_MB)
    w(f"| `serve` peak RSS under introspection load (MB) ÷ {RSS_LIMIT_MB} MB | {with_unit(peak, 'MB')} "
      f"(start {with_unit(http_fig('rss.start_mb'), 'MB')}) | {RSS_LIMIT_MB} MB | {'n/a' if r is None else f'{r:.2f}'} | < 1 | "
      f"{'n/a' if r is None else ('yes' if r < 1 else '**no**')} |")
    # The agent's create, the step that replaces a pre-flight JVM per container: p99 ÷ 5 ms.
    for alg in AGENT_PROFILES:
        lat = latency[alg]
        p99 = lat["post_p99"] if isinstance(lat, dict) else lat
        r = ratio(p99, PREFLIGHT_P99_MS)
        w(f"| agent pre-flight (POST /v1/containers) {alg}, p99 ÷ {PREFLIGHT_P99_MS:g} ms | {with_unit(p99, 'ms', 2)} "
          f"| {PREFLIGHT_P99_MS:g} ms (issue 10) | {'n/a' if r is None else f'{r:.2f}'} | ≤ {PREFLIGHT_P99_MS:g} ms | "
          f"{'n/a' if r is None else ('yes' if r <= 1 else '**no**')} |")
    # Like serve's row: VmHWM, the kernel's peak over the agent's whole life (start, warm-up, the
    # live containers and the measured pairs), else the sampled maximum.
    agent_peak = agent_kib("rss.hwm_kib" if "rss.hwm_kib" in agent else "rss.peak_kib")
    r = ratio(agent_peak, RSS_LIMIT_MB)
    w(f"| agent peak RSS, {count('live')} containers live and create/delete load (MB) ÷ {RSS_LIMIT_MB} MB "
      f"| {with_unit(agent_peak, 'MB')} (sampled peak {with_unit(agent_kib('rss.peak_kib'), 'MB')}) | {RSS_LIMIT_MB} MB "
      f"| {'n/a' if r is None else f'{r:.2f}'} | < {RSS_LIMIT_MB} MB | {'n/a' if r is None else ('yes' if r < 1 else '**no**')} |")
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
        one = wrk_result(f"introspect-repeated-{alg}")
        distinct = wrk_result(f"introspect-distinct-{alg}")
        info(f"introspection {alg}: one repeated token ÷ distinct tokens", cell(one, 0), cell(distinct, 0))
    info("JWKS req/s: ci-jwt ÷ nginx, same bytes", cell(jwks["cijwt"], 0), cell(jwks["nginx"], 0))
    for alg in ALGS:
        # What one answer costs serve, in raw signature checks of the same JVM: 1.0 would mean the
        # HTTP, the parsing, the cache and the answer were free.
        raw = g(f"raw.verify.{alg}")
        cpu = cpu_per_answer_us(http, "distinct", alg)
        info(f"introspection {alg}, distinct tokens: serve CPU per answer (µs) ÷ one raw verify (µs)",
             cpu if cpu is not None else absent("http"), 1e6 / raw if isnum(raw) else raw)
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
        rounds = http.get(f"jwks.{name}.rounds")
        if rounds:
            label += " (the better of two rounds: " + " and ".join(f"{float(r):,.0f}" for r in rounds.split()) + ")"
        w(f"| {label} | {num(cell(res, 0))} | {cell(res, 1)} | {cell(res, 2)} | | | |")
    for kind, label in (("distinct", "distinct tokens"), ("repeated", "one repeated token")):
        for alg in ALGS:
            res = wrk_result(f"introspect-{kind}-{alg}")
            w(f"| introspection {alg}, {label} | {num(cell(res, 0))} | {cell(res, 1)} "
              f"| {cell(res, 2)} | {num(http_fig(f'introspect.{kind}.{alg}.not_active'))} "
              f"| {num(cache_share(http, kind, alg) or absent('http'))} "
              f"| {with_unit(cpu_per_answer_us(http, kind, alg) or absent('http'), 'µs')} |")
    w("")
    w("#### agent, through its socket")
    w("")
    w("One POST /v1/containers, then its DELETE, one at a time, one connection each (as `ci-jwt-runtime`), "
      f"with {count('live')} other containers live. CPU is the agent's, all threads, from /proc/PID/stat; "
      "waiting is the time its runnable threads queued for a CPU (/proc/PID/task/*/schedstat): the machine's share "
      "of the latency.")
    w("")
    w("| alg | pairs | POST p50 / p99 | DELETE p50 / p99 | POST + DELETE p50 / p99 | agent CPU per pair | waiting for a CPU, per pair |")
    w("|---|---|---|---|---|---|---|")

    def pair(lat, a, b):
        return f"{lat[a]:.2f} / {lat[b]:.2f} ms" if isinstance(lat, dict) else lat

    for alg in AGENT_PROFILES:
        lat = latency[alg]
        ms = (lambda k: f"{lat[k]:.2f} ms") if isinstance(lat, dict) else (lambda k: lat)
        w(f"| {alg} | {num(lat['pairs']) if isinstance(lat, dict) else lat} | {pair(lat, 'post_p50', 'post_p99')} "
          f"| {pair(lat, 'delete_p50', 'delete_p99')} | {pair(lat, 'pair_p50', 'pair_p99')} | {ms('cpu')} | {ms('wait')} |")
    w("")
    w("| agent VmRSS | when ready | 0 live, after the warm-up | "
      f"{count('live')} live | sampled peak | VmHWM (the kernel's peak) |")
    w("|---|---|---|---|---|---|")
    w(f"| MB | {num(agent_kib('rss.start_kib'))} | {num(agent_kib('rss.idle_kib'))} | {num(agent_kib('rss.live_kib'))} "
      f"| {num(agent_kib('rss.peak_kib'))} | {num(agent_kib('rss.hwm_kib'))} |")
    w("")

    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if out:
        out.write_text(text)


if __name__ == "__main__":
    main()
