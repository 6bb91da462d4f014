"""tfscaling: the sweep, the fits and the plots behind scripts/scaling.

Strong scaling: T(P) is the median time at P ranks; speedup S = T(1)/T(P),
efficiency E = S/P, and the Karp-Flatt experimentally determined serial
fraction e(P) = (1/S - 1/P) / (1 - 1/P) for P > 1 (Karp and Flatt, CACM 33(5),
1990). Amdahl's law T(P) = T1 * (f + (1 - f)/P) is linear in a = T1*f and
b = T1*(1 - f): it is fitted by least squares to every run (not only to the
medians), f = a/(a + b), and the standard error of f comes from the
covariance of (a, b) by the delta method.

Weak scaling (--weak, the work grows with P): scaled speedup
S_w(P) = P * T(1)/T(P) and Gustafson's law S_w = P - s*(P - 1) (Gustafson,
CACM 31(5), 1988), with s fitted by least squares over the runs.

Everything here but run_sweep and the plots is plain arithmetic on lists, so
that the tests can check it on data with a known answer.
"""
import csv
import datetime
import json
import math
import os
import platform
import re
import shlex
import socket
import statistics
import subprocess
import sys
import time


class UsageError(Exception):
    """A mistake of the user's: reported as one line, exit status 2."""


# ---- the statistics ----------------------------------------------------------------

def summarize(rows):
    """rows: dicts with np, seconds, ok. Returns one dict per rank count:
    np, runs, median, min, max, stdev, sorted by np."""
    by = {}
    for r in rows:
        if r["ok"]:
            by.setdefault(r["np"], []).append(r["seconds"])
    out = []
    for p in sorted(by):
        t = by[p]
        out.append({"np": p, "runs": len(t), "median": statistics.median(t), "min": min(t),
                    "max": max(t), "stdev": statistics.stdev(t) if len(t) > 1 else 0.0})
    return out


def strong_metrics(summary):
    """Adds speedup, efficiency and karp_flatt to each summary row. Speedup is
    relative to the smallest P (P0): S = T(P0) * P0 / T(P), exact for P0 = 1."""
    if not summary:
        return summary
    p0, t0 = summary[0]["np"], summary[0]["median"]
    for s in summary:
        S = t0 * p0 / s["median"] if s["median"] > 0 else float("nan")
        s["speedup"] = S
        s["efficiency"] = S / s["np"]
        p = s["np"]
        s["karp_flatt"] = (1 / S - 1 / p) / (1 - 1 / p) if p > 1 and S > 0 else float("nan")
    return summary


def weak_metrics(summary):
    """Scaled speedup P0 * ... : S_w(P) = P * T(P0) / T(P) (P0 scaled to 1)."""
    if not summary:
        return summary
    p0, t0 = summary[0]["np"], summary[0]["median"]
    for s in summary:
        eff = t0 / s["median"] if s["median"] > 0 else float("nan")
        s["efficiency"] = eff
        s["speedup"] = s["np"] / p0 * eff * p0 if p0 == 1 else s["np"] * eff
        s["karp_flatt"] = float("nan")
    return summary


def _solve2(sxx, sxy, syy, bx, by):
    """Solves [[sxx, sxy], [sxy, syy]] (u, v) = (bx, by); also returns the
    inverse matrix (for the covariance)."""
    det = sxx * syy - sxy * sxy
    if abs(det) < 1e-300:
        raise ZeroDivisionError
    inv = ((syy / det, -sxy / det), (-sxy / det, sxx / det))
    return (inv[0][0] * bx + inv[0][1] * by, inv[1][0] * bx + inv[1][1] * by), inv


def fit_amdahl(rows):
    """Least squares T = a + b/P over the ok runs. Returns a dict with f,
    f_se, f_lo, f_hi (95%), t1 = a + b, r2, n, max_speedup; or None if fewer
    than two distinct P."""
    pts = [(1.0 / r["np"], r["seconds"]) for r in rows if r["ok"]]
    if len({x for x, _ in pts}) < 2:
        return None
    n = len(pts)
    s1, sx, sxx = n, sum(x for x, _ in pts), sum(x * x for x, _ in pts)
    sy, sxy = sum(y for _, y in pts), sum(x * y for x, y in pts)
    (a, b), inv = _solve2(s1, sx, sxx, sy, sxy)  # unknowns (a, b) for 1 and x
    resid = [y - (a + b * x) for x, y in pts]
    sse = sum(e * e for e in resid)
    dof = n - 2
    s2 = sse / dof if dof > 0 else 0.0
    cov = [[s2 * inv[i][j] for j in range(2)] for i in range(2)]
    t1 = a + b
    f = a / t1
    # gradient of f = a/(a+b): df/da = b/(a+b)^2, df/db = -a/(a+b)^2
    ga, gb = b / t1 ** 2, -a / t1 ** 2
    var = ga * ga * cov[0][0] + 2 * ga * gb * cov[0][1] + gb * gb * cov[1][1]
    se = math.sqrt(max(var, 0.0))
    ybar = sy / n
    sst = sum((y - ybar) ** 2 for _, y in pts)
    r2 = 1 - sse / sst if sst > 0 else 1.0
    z = _t95(dof)
    return {"f": f, "f_se": se, "f_lo": f - z * se, "f_hi": f + z * se, "t1": t1,
            "a": a, "b": b, "r2": r2, "n": n, "dof": dof,
            "max_speedup": 1 / f if f > 0 else float("inf")}


def fit_gustafson(summary_rows_or_runs, t_base):
    """Least squares of S_w = P - s*(P - 1) over runs; S_w = P*t_base/T.
    Returns s, s_se, s_lo, s_hi, n; None without a P > 1."""
    pts = []
    for r in summary_rows_or_runs:
        if r["ok"] and r["seconds"] > 0:
            p = r["np"]
            pts.append((p, p * t_base / r["seconds"]))
    xs = [(p - 1) for p, _ in pts]
    if not any(x > 0 for x in xs):
        return None
    # P - S = s*(P - 1): regression through the origin
    sxx = sum(x * x for x in xs)
    sxy = sum((p - 1) * (p - S) for p, S in pts)
    s = sxy / sxx
    resid = [(p - S) - s * (p - 1) for p, S in pts]
    dof = len(pts) - 1
    s2 = sum(e * e for e in resid) / dof if dof > 0 else 0.0
    se = math.sqrt(s2 / sxx)
    z = _t95(dof)
    return {"s": s, "s_se": se, "s_lo": s - z * se, "s_hi": s + z * se, "n": len(pts),
            "dof": dof}


def _t95(dof):
    """Two-sided 95% quantile of Student's t (table; normal beyond 30)."""
    table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
             8: 2.306, 9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060,
             30: 2.042}
    if dof <= 0:
        return float("nan")
    for k in sorted(table):
        if dof <= k:
            return table[k]
    return 1.960


# ---- the CSV -----------------------------------------------------------------------

CSV_FIELDS = ["run", "app", "np", "rep", "seconds", "wall_s", "ok", "json"]


def read_csv(path):
    """Reads a scaling.csv; raises UsageError naming the file and line."""
    try:
        f = open(path, newline="")
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}")
    rows = []
    with f:
        rd = csv.DictReader(f)
        if rd.fieldnames is None or not {"np", "seconds", "ok"} <= set(rd.fieldnames):
            raise UsageError(f"{path}:1: not a scaling.csv (want columns np, seconds, ok)")
        for row in rd:
            line = rd.line_num
            try:
                np_ = int(row["np"])
                sec = float(row["seconds"]) if row["seconds"] not in ("", None) else float("nan")
                ok = row["ok"].strip() in ("1", "true", "True")
                if np_ < 1:
                    raise ValueError
            except (ValueError, AttributeError, TypeError):
                raise UsageError(f"{path}:{line}: malformed row")
            if ok and not (sec > 0 and math.isfinite(sec)):
                raise UsageError(f"{path}:{line}: seconds '{row['seconds']}' is not a time")
            rows.append({"run": row.get("run", ""), "app": row.get("app", ""), "np": np_,
                         "rep": row.get("rep", ""), "seconds": sec, "ok": ok,
                         "wall_s": row.get("wall_s", ""), "json": row.get("json", "")})
    if not rows:
        raise UsageError(f"{path}: no runs in it")
    return rows


# ---- the plots ---------------------------------------------------------------------

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot(summary, fit, weak, title, out_dir):
    """speedup.{png,svg} and efficiency.{png,svg}."""
    plt = _plt()
    ps = [s["np"] for s in summary]
    pmax = max(ps)
    grid = [1 + (pmax - 1) * i / 200 for i in range(201)] if pmax > 1 else [1]
    p0 = ps[0]
    t0 = summary[0]["median"]

    def errbars(key):
        lo, hi = [], []
        for s in summary:
            if weak:
                vmax = s["np"] * t0 / s["min"] if key == "speedup" else t0 / s["min"]
                vmin = s["np"] * t0 / s["max"] if key == "speedup" else t0 / s["max"]
            else:
                vmax = t0 * p0 / s["min"] / (1 if key == "speedup" else s["np"])
                vmin = t0 * p0 / s["max"] / (1 if key == "speedup" else s["np"])
            lo.append(max(s[key] - vmin, 0))
            hi.append(max(vmax - s[key], 0))
        return [lo, hi]

    for key, ylabel in (("speedup", "scaled speedup" if weak else "speedup"),
                        ("efficiency", "weak efficiency" if weak else "parallel efficiency")):
        fig, ax = plt.subplots(figsize=(6.4, 4.6))
        if key == "speedup":
            ax.plot(grid, grid, "--", color="0.55", label="ideal")
        else:
            ax.axhline(1.0, ls="--", color="0.55", label="ideal")
        if fit is not None:
            if weak:
                s = fit["s"]
                sw = [p - s * (p - 1) for p in grid]
                label = f"Gustafson fit, s = {s:.4f} ± {fit['s_se']:.4f}"
                ys = sw if key == "speedup" else [v / p for v, p in zip(sw, grid)]
            else:
                f = fit["f"]
                sp = [1 / (f + (1 - f) / p) for p in grid]
                label = f"Amdahl fit, f = {f:.4f} ± {fit['f_se']:.4f}"
                ys = sp if key == "speedup" else [v / p for v, p in zip(sp, grid)]
            ax.plot(grid, ys, "-", color="tab:orange", label=label)
        ax.errorbar(ps, [s[key] for s in summary], yerr=errbars(key), fmt="o", color="tab:blue",
                    capsize=4, label="measured (median, min-max)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(ps)
        ax.set_xticklabels([str(p) for p in ps])
        ax.minorticks_off()
        if key == "speedup":  # log-log: the ideal is a straight line
            ax.set_yscale("log", base=2)
            ticks = sorted(set(ps) | {1})
            ax.set_yticks(ticks)
            ax.set_yticklabels([str(t) for t in ticks])
        ax.set_xlabel("ranks")
        ax.set_ylabel(ylabel)
        if key == "efficiency":
            top = max(1.05, max(s["efficiency"] for s in summary) * 1.05)
            ax.set_ylim(0, top)
        ax.set_title(title, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(os.path.join(out_dir, f"{key}.{ext}"), dpi=120)
        plt.close(fig)


# ---- the report --------------------------------------------------------------------

def fmt(x, spec):
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def write_outputs(rows, weak, out_dir, title, meta):
    """summary.csv, report.md and the plots; returns the text to print."""
    summary = summarize(rows)
    if not summary:
        raise UsageError("no run succeeded: nothing to analyse")
    (weak_metrics if weak else strong_metrics)(summary)
    ok_rows = [r for r in rows if r["ok"]]
    if weak:
        fit = fit_gustafson(ok_rows, summary[0]["median"]) if summary[0]["np"] == 1 else None
    else:
        fit = fit_amdahl(ok_rows)

    with open(os.path.join(out_dir, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["np", "runs", "median", "min", "max", "stdev", "speedup", "efficiency",
                    "karp_flatt"])
        for s in summary:
            w.writerow([s["np"], s["runs"], f"{s['median']:.6f}", f"{s['min']:.6f}",
                        f"{s['max']:.6f}", f"{s['stdev']:.6f}", f"{s['speedup']:.6f}",
                        f"{s['efficiency']:.6f}", fmt(s["karp_flatt"], ".6f")])

    sp_head = "scaled speedup" if weak else "speedup"
    table = [f"| ranks | runs | median s | min s | {sp_head} | efficiency | Karp–Flatt e |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in summary:
        table.append(f"| {s['np']} | {s['runs']} | {s['median']:.4f} | {s['min']:.4f} | "
                     f"{s['speedup']:.3f} | {100 * s['efficiency']:.1f}% | "
                     f"{fmt(s['karp_flatt'], '.4f')} |")
    if fit is None:
        fit_line = ("Fit: not possible (needs runs at two or more rank counts"
                    + (", starting at 1)" if weak else ")"))
    elif weak:
        fit_line = (f"Gustafson fit over {fit['n']} runs: serial fraction s = {fit['s']:.4f} "
                    f"± {fit['s_se']:.4f} (95%: {fit['s_lo']:.4f} to {fit['s_hi']:.4f})")
    else:
        ms = fit["max_speedup"]
        fit_line = (f"Amdahl fit over {fit['n']} runs: serial fraction f = {fit['f']:.4f} "
                    f"± {fit['f_se']:.4f} (95%: {fit['f_lo']:.4f} to {fit['f_hi']:.4f}), "
                    f"T1 = {fit['t1']:.4f} s, R² = {fit['r2']:.4f}, "
                    + (f"speedup limit 1/f = {ms:.1f}" if fit["f"] > 0
                       else "no speedup limit in sight (f <= 0 within the noise)"))
    failed = sum(1 for r in rows if not r["ok"])

    plot(summary, fit, weak, title, out_dir)
    md = [f"# Scaling: {title}", ""]
    if meta:
        md += [f"Command: `{meta.get('command', '')}`", "",
               f"Machine: {meta.get('host', '')}, {meta.get('nproc', '')} cores, "
               f"{meta.get('cpu', '')}; {meta.get('mpi', '')}; {meta.get('date', '')}", ""]
    md += [("Weak scaling (the work grows with the ranks)." if weak else
            "Strong scaling (the same work at every rank count)."),
           "Times are the app's own timed region when it reports one, else mpirun's wall time.",
           ""] + table + ["", fit_line, ""]
    if failed:
        md += [f"{failed} run(s) failed and are left out: see logs/.", ""]
    md += ["![speedup](speedup.png)", "", "![efficiency](efficiency.png)", ""]
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write("\n".join(md))
    return "\n".join(table + ["", fit_line] + ([f"{failed} run(s) failed"] if failed else []))


# ---- the sweep ---------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{np(?:\*(\d+))?\}")


def substitute(args, p):
    return [PLACEHOLDER.sub(lambda m: str(p * int(m.group(1) or 1)), a) for a in args]


def mpirun_base(custom):
    if custom:
        return shlex.split(custom)
    cmd = ["mpirun"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def binding(mode, p, cores):
    if mode == "none":
        return ["--bind-to", "none"] + (["--oversubscribe"] if p > cores else [])
    if mode == "core" or (mode == "auto" and p <= cores):
        return ["--bind-to", "core", "--map-by", "core"] + (["--oversubscribe"] if p > cores
                                                            else [])
    return ["--oversubscribe", "--bind-to", "none"]


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                return json.loads(line)
            except ValueError:
                return None
        if line:
            return None
    return None


def machine_meta(command):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        mpi = subprocess.run(["mpirun", "--version"], capture_output=True, text=True,
                             timeout=30).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        mpi = "mpirun --version: unavailable"
    return {"command": command, "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": socket.gethostname(), "nproc": os.cpu_count(), "cpu": cpu or platform.machine(),
            "mpi": mpi, "kernel": platform.release()}


def run_sweep(app, app_args, ranks, repeat, out_dir, bind, timeout, launcher, run_name,
              log=sys.stderr):
    """Runs the sweep; writes scaling.csv as it goes. Returns the rows."""
    cores = os.cpu_count() or 1
    os.makedirs(os.path.join(out_dir, "logs"), exist_ok=True)
    rows = []
    with open(os.path.join(out_dir, "scaling.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        for rep in range(1, repeat + 1):
            for p in ranks:
                cmd = (mpirun_base(launcher) + ["-np", str(p)] + binding(bind, p, cores)
                       + [app] + substitute(app_args, p))
                t0 = time.monotonic()
                try:
                    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                       stdin=subprocess.DEVNULL)
                    out, err, rc = r.stdout, r.stderr, r.returncode
                except subprocess.TimeoutExpired as e:
                    out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
                    err = f"scaling: timed out after {timeout} s\n"
                    rc = None
                wall = time.monotonic() - t0
                logname = os.path.join(out_dir, "logs", f"np{p}-rep{rep}.log")
                with open(logname, "w") as lf:
                    lf.write("$ " + shlex.join(cmd) + "\n" + out + err)
                js = last_json(out)
                ok = rc == 0 and (js is None or js.get("ok", True) is not False)
                secs = wall
                if js is not None and isinstance(js.get("seconds"), (int, float)):
                    secs = float(js["seconds"])
                row = {"run": run_name, "app": os.path.basename(app), "np": p, "rep": rep,
                       "seconds": secs, "wall_s": round(wall, 6), "ok": ok,
                       "json": json.dumps(js, separators=(",", ":")) if js else ""}
                rows.append(row)
                w.writerow({**row, "ok": int(ok), "seconds": f"{secs:.6f}"})
                f.flush()
                status = "ok" if ok else ("TIMEOUT" if rc is None else f"FAILED (exit {rc})")
                print(f"scaling: rep {rep}/{repeat} np {p:3d}: {secs:10.4f} s "
                      f"(wall {wall:.2f} s) {status}", file=log, flush=True)
    return rows
