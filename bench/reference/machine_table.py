#!/usr/bin/env python3
"""Issue 16's table (markdown) from a machine's `mrine bench --json` files and its side-by-side rounds:
   machine_table.py ROUNDS.jsonl COMMIT CPU CORES WIDTH=BENCH.json [WIDTH=BENCH.json ...]
machine_report.sh runs it; run alone, it re-makes a table from results already saved (rounds of COMMIT
written by machine_report.sh, WIDTH native, avx2 or avx512)."""
import json, statistics, sys
sbs, commit, cpu, cores = sys.argv[1:5]
runs = [a.split("=", 1) for a in sys.argv[5:]]
rounds = [json.loads(l) for l in open(sbs) if l.strip()]

def ours(rounds, width):
    opts = {"avx2": "-XX:UseAVX=2", "avx512": "-XX:UseAVX=3"}.get(width, "")
    return [r for r in rounds if r.get("mrine_commit") == commit and r.get("mrine_java_opts", "") == opts
            and r.get("run", "").startswith("machine_report.sh")]

def spread(values):
    return f"{statistics.median(values):.3g} ({min(values):.3g} to {max(values):.3g})"

bench = {w: json.load(open(f)) for w, f in runs}
machine = next(iter(bench.values()))["machine"]
ident = ", ".join(x for x in (machine.get("cpu_id"), machine.get("microarchitecture")) if x)
print(f"# {machine.get('cpu', cpu)}{' (' + ident + ')' if ident else ''}, {cores} cores, commit {commit}\n")
print("| figure | " + " | ".join(w for w, _ in runs) + " | goal |")
print("|---|" + "---|" * len(runs) + "---|")
def row(name, cells, goal):
    print(f"| {name} | " + " | ".join(cells) + f" | {goal} |")
row("one core's FMA peak, GFLOP/s (load average at the start)",
    [f"{bench[w]['machine_peak']['fma_gflops_one_core']} ({bench[w]['machine_peak']['load_average_at_start']})" for w, _ in runs], "")
row("CPU choices", [", ".join(f"{k} {v}" for k, v in bench[w]["cpu_tuning"]["choices"].items()) for w, _ in runs], "")
# the kernels each native BLAS picked (from the CPU, not the JVM's width; older bench files lack them)
row("native BLAS kernels", [", ".join(f"{k} {v}" for k, v in bench[w]["cpu_tuning"].get("blas_kernels", {}).items()) or "not reported"
                            for w, _ in runs], "")
for key, label in (("T50", "training T = 50, ms per sample-step"), ("T100", "training T = 100")):
    row(label, [f"{bench[w]['train'][key]['ms_per_sample_step']} ({bench[w]['train'][key]['ms_per_sample_step_stats']['min']} to "
                f"{bench[w]['train'][key]['ms_per_sample_step_stats']['max']}), share of one core's peak "
                f"{bench[w]['train'][key]['share_of_one_core_peak']}" for w, _ in runs], "")
verdicts = []
def judge(ok, what):
    verdicts.append(("met" if ok else "NOT MET") + ": " + what)
    return "met" if ok else "**not met**"
cells = []
for w, _ in runs:
    rs = ours(rounds, w)
    ref = [r["reference_ms_per_sample_step"] for r in rs]
    cells.append(spread(ref) + f", {len(rs)} rounds" if rs else "no rounds")
row("published reference, T = 50, ms per sample-step", cells, "")
cells, ok = [], True
for w, _ in runs:
    rs = ours(rounds, w)
    ratios = [r["ratio"] for r in rs]
    cells.append(spread(ratios) + "x" if ratios else "no rounds")
    ok = ok and bool(ratios) and statistics.median(ratios) >= 20
row("ratio to the reference, side by side (median, range)", cells, ">= 20x: " + judge(ok, "training >= 20x the reference"))
hc = [bench[w]["train"].get("high_channel") for w, _ in runs]
if all(hc):
    ok2 = all(bench[w]["train"]["high_channel"]["ms_per_sample_step"] <= 2 * bench[w]["train"]["T100"]["ms_per_sample_step"]
              and bench[w]["train"]["high_channel"]["peak_memory_mb"] <= 2048 for w, _ in runs)
    row("`train.high_channel` (800 + 800), ms per sample-step, peak MB",
        [f"{bench[w]['train']['high_channel']['ms_per_sample_step']} "
         f"({bench[w]['train']['high_channel']['ms_per_sample_step'] / bench[w]['train']['T100']['ms_per_sample_step']:.2f}x T = 100), "
         f"{bench[w]['train']['high_channel']['peak_memory_mb']} MB" for w, _ in runs],
        "<= 2x, <= 2 GB: " + judge(ok2, "800 + 800 within 2x and 2 GB"))
    ok3 = all(bench[w]["train"]["calcium_10k"]["peak_memory_mb"] <= 4096 for w, _ in runs)
    row("`train.calcium_10k`, ms per sample-step, peak MB",
        [f"{bench[w]['train']['calcium_10k']['ms_per_sample_step']}, {bench[w]['train']['calcium_10k']['peak_memory_mb']} MB" for w, _ in runs],
        "<= 4 GB: " + judge(ok3, "10,000 channels in 4 GB"))
# The machine's own floor: a spin as long as the decoder's median step, timed the same way
# (machine_spin). Where the host delays even that past the goal, no decoder can meet it there.
for key, label, goal in (("paper", "streaming p99, paper size, us", 20), ("high_channel", "streaming p99, 800 + 800, us", 50)):
    stream = {w: bench[w]["stream"][key] for w, _ in runs}
    okk = all(stream[w]["p99_us"] <= goal for w, _ in runs)
    host = [w for w, _ in runs if stream[w]["p99_us"] > goal and stream[w].get("machine_spin", {}).get("delayed_20us_share", 0) >= 0.005]
    row(label, [f"{stream[w]['p99_us']} (p50 {stream[w]['p50_us']}; the machine's spin of {stream[w]['machine_spin']['spin_us']} us: "
                f"p99 {stream[w]['machine_spin']['p99_us']}, {100 * stream[w]['machine_spin']['delayed_20us_share']:.2f}% delayed > 20 us)"
                if "machine_spin" in stream[w] else f"{stream[w]['p99_us']} (p50 {stream[w]['p50_us']})" for w, _ in runs],
        f"<= {goal} us: " + judge(okk, label + f" <= {goal}" + (f" (on {', '.join(host)} the host itself delayed 0.5% or more of "
                                                               "equal spins by over 20 us: this machine's interference, see the row)" if host else "")))
print()
print("bench files: " + ", ".join(f for _, f in runs) + f"; rounds: {sbs}")
print("\n".join("- " + v for v in verdicts))
