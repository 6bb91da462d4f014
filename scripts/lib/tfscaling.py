"""tfscaling: the sweep, the statistics, the fits, the plots and the report
behind scripts/scaling (which owns the command line).

Strong scaling (the same problem at every rank count P): T(P) is the median
of the ok runs at P; speedup S(P) = T(1)/T(P), or, when 1 rank was not run,
the relative speedup S(P) = T(P0)*P0/T(P) from the smallest P0; efficiency
E = S/P; Karp-Flatt's experimentally determined serial fraction
e(P) = (1/S - 1/P)/(1 - 1/P) (Karp and Flatt, CACM 33(5), 1990). Amdahl's law
T(P) = a + b/P (a = T1*f, b = T1*(1 - f)) is linear in (a, b) and is fitted
by ordinary least squares to every ok run, not to the medians, so that the
spread of the runs shows in the uncertainty: f = a/(a + b), its standard
error from the parameter covariance s^2 (X'X)^-1 by the delta method, and a
95% interval from Student's t with n - 2 degrees of freedom. With fewer
than three rank counts the two parameters are fixed by the means alone and
the law is not tested: f is given without interval, R² or 1/f.

Each speedup (and efficiency) has a 95% confidence interval from the runs:
Welch's t-interval of the difference of mean log times at P and at P0,
exponentiated, i.e. of the ratio of geometric-mean times. Warm-up runs
(warmup = 1 in scaling.csv) are kept but left out of everything.

Weak scaling (the work grows with P): scaled speedup S_w(P) = P*T(1)/T(P),
weak efficiency T(1)/T(P), and Gustafson's law S_w = P - s*(P - 1)
(Gustafson, CACM 31(5), 1988), fitted by least squares to every ok run in
its linear form for the times, 1/T(P) = (1 - s*(P - 1)/P)/T(1), with T(1)
a parameter, and s's uncertainty again by the delta method.

The statistics work on plain lists of run dicts {np, seconds, ok, ...} so
that the tests can check them on data with a known answer. matplotlib is
imported only by plot().
"""
import csv
import json
import math
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

CSV_FIELDS = ["run", "app", "np", "rep", "seconds", "wall_s", "ok", "json", "warmup"]
SUMMARY_FIELDS = ["np", "runs", "median", "min", "max", "stdev", "speedup", "speedup_lo",
                  "speedup_hi", "efficiency", "efficiency_lo", "efficiency_hi", "karp_flatt"]
# How the speedup's interval is made, for the report and the plots' legends.
CI_METHOD = ("95% confidence interval of the speedup: Welch's t-interval of the "
             "difference of the mean log times at P and at the reference, exponentiated "
             "(the ratio of geometric-mean times); it needs 2 or more ok runs at both")
NAN = float("nan")


class UsageError(Exception):
    """A mistake of the user's (bad CSV, unwritable directory): one line, exit 2."""


class FitError(Exception):
    """The data cannot carry the fit (too few rank counts, no 1-rank baseline)."""


# ---- statistics --------------------------------------------------------------------

def counted(rows):
    """The rows the analysis uses: every run but the warm-up runs."""
    return [r for r in rows if not r.get("warmup")]


def summarize(rows):
    """One dict per rank count seen in rows (failed-only ones too, with
    runs = 0), sorted by np: np, runs (ok), failed, median, min, max, stdev
    (NaN where undefined), times (the ok runs' seconds). Warm-up runs are
    left out."""
    by = {}
    for r in counted(rows):
        ent = by.setdefault(r["np"], {"ok": [], "failed": 0})
        if r["ok"]:
            ent["ok"].append(r["seconds"])
        else:
            ent["failed"] += 1
    out = []
    for p in sorted(by):
        t, failed = by[p]["ok"], by[p]["failed"]
        s = {"np": p, "runs": len(t), "failed": failed, "times": list(t)}
        s.update({k: NAN for k in SUMMARY_FIELDS[2:]})
        if t:
            s.update(median=statistics.median(t), min=min(t), max=max(t),
                     stdev=statistics.stdev(t) if len(t) > 1 else NAN)
        out.append(s)
    return out


def ratio_ci(t_ref, t_p):
    """95% interval of T_ref/T_p from the runs' times: Welch's t-interval of
    mean(log t_ref) - mean(log t_p), exponentiated. Timings are skewed to the
    right and a ratio is what is wanted, so the logs are the natural scale;
    Welch, because the spread differs between rank counts. The quantile is
    taken at the whole degrees of freedom below Welch-Satterthwaite's (the
    wider side). (NaN, NaN) with fewer than 2 runs at either."""
    if len(t_ref) < 2 or len(t_p) < 2:
        return NAN, NAN
    a, b = np.log(np.asarray(t_ref, float)), np.log(np.asarray(t_p, float))
    va, vb = float(a.var(ddof=1)) / len(a), float(b.var(ddof=1)) / len(b)
    d = float(a.mean() - b.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return math.exp(d), math.exp(d)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    q = t95(max(1, math.floor(dof)))
    return math.exp(d - q * se), math.exp(d + q * se)


def _fill_ci(s, t_ref, scale, per):
    """speedup_lo/hi = scale * the interval of T_ref/T(P); efficiency_* = / per."""
    lo, hi = ratio_ci(t_ref, s["times"])
    s["speedup_lo"], s["speedup_hi"] = scale * lo, scale * hi
    s["efficiency_lo"], s["efficiency_hi"] = scale * lo / per, scale * hi / per


def baseline(summary):
    """The reference rank count P0 and its median time: the smallest P with
    an ok run. None if there is none."""
    for s in summary:
        if s["runs"]:
            return s["np"], s["median"]
    return None


def strong_metrics(summary):
    """Fills speedup, efficiency and karp_flatt of each summary row (in
    place; also returned). Karp-Flatt is left NaN at the reference P0."""
    base = baseline(summary)
    if base is None:
        return summary
    p0, t0 = base
    ref = next(s["times"] for s in summary if s["np"] == p0)
    for s in summary:
        p = s["np"]
        if not s["runs"] or not s["median"] > 0:
            continue
        S = t0 * p0 / s["median"]
        s["speedup"] = S
        s["efficiency"] = S / p
        if p != p0:
            _fill_ci(s, ref, p0, p)
        if p > p0:
            s["karp_flatt"] = (1 / S - 1 / p) / (1 - 1 / p)
    return summary


def weak_metrics(summary):
    """Fills speedup (scaled: P*T(P0)/T(P)) and efficiency (T(P0)/T(P));
    Karp-Flatt does not apply to weak scaling and stays NaN."""
    base = baseline(summary)
    if base is None:
        return summary
    p0, t0 = base
    ref = next(s["times"] for s in summary if s["np"] == p0)
    for s in summary:
        if s["runs"] and s["median"] > 0:
            s["efficiency"] = t0 / s["median"]
            s["speedup"] = s["np"] * s["efficiency"]
            if s["np"] != p0:
                _fill_ci(s, ref, s["np"], s["np"])
    return summary


def t95(dof):
    """Two-sided 95% quantile of Student's t with dof degrees of freedom:
    exact table to 30, Cornish-Fisher expansion beyond (error < 1e-4)."""
    table = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
             2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
             2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
    if dof < 1:
        return NAN
    if dof <= len(table):
        return table[int(dof) - 1]
    z, v = 1.959963985, float(dof)
    return (z + (z**3 + z) / (4 * v) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3))


def fit_amdahl(rows):
    """Least squares T = a + b/P over the ok runs in rows. Returns a dict:
    f, f_se, f_lo, f_hi (95%), a, b, t1 = a + b, r2, n, dof, nps,
    max_speedup (1/f, inf if f <= 0). f_se is NaN when there are no residual
    degrees of freedom (as many runs as parameters). Raises FitError."""
    ok = [(r["np"], r["seconds"]) for r in counted(rows) if r["ok"]]
    nps = sorted({p for p, _ in ok})
    if len(nps) < 2:
        raise FitError("needs ok runs at two or more rank counts")
    P = np.array([p for p, _ in ok], dtype=float)
    T = np.array([t for _, t in ok], dtype=float)
    X = np.column_stack([np.ones_like(P), 1.0 / P])
    (a, b), *_ = np.linalg.lstsq(X, T, rcond=None)
    a, b = float(a), float(b)
    t1 = a + b
    if not t1 > 0:
        raise FitError(f"the fitted 1-rank time a + b = {t1:.4g} s is not positive")
    resid = T - X @ np.array([a, b])
    sse = float(resid @ resid)
    n, dof = len(T), len(T) - 2
    sst = float(((T - T.mean()) ** 2).sum())
    # Residual variance estimates the noise; the covariance of (a, b) is
    # s^2 (X'X)^-1. f = a/(a + b): df/da = b/(a+b)^2, df/db = -a/(a+b)^2.
    f = a / t1
    if dof > 0:
        cov = (sse / dof) * np.linalg.inv(X.T @ X)
        g = np.array([b, -a]) / t1**2
        f_se = math.sqrt(max(float(g @ cov @ g), 0.0))
    else:
        f_se = NAN
    q = t95(dof)
    fit = {"f": f, "f_se": f_se, "f_lo": f - q * f_se, "f_hi": f + q * f_se,
           "a": a, "b": b, "t1": t1, "r2": 1 - sse / sst if sst > 0 and dof > 0 else NAN,
           "n": n, "dof": dof, "nps": nps,
           "max_speedup": 1 / f if f > 0 else math.inf}
    return _few_rank_counts(fit, "f", ("max_speedup",))


def fit_gustafson(rows):
    """Least squares of Gustafson's law over the ok runs. S_w(P) = P*T1/T(P)
    = P - s*(P - 1) is, for the times, 1/T(P) = u + v*(P - 1)/P with
    u = 1/T1 and v = -s/T1: linear in (u, v), so T1 is fitted with s (its
    noise is in the uncertainty, as it would not be with T1 fixed to the
    median 1-rank time) and 1 rank need not have been run. Returns s, s_se,
    s_lo, s_hi (95%), t1, r2, n, dof, nps. Raises FitError."""
    ok = [(r["np"], r["seconds"]) for r in counted(rows) if r["ok"] and r["seconds"] > 0]
    nps = sorted({p for p, _ in ok})
    if len(nps) < 2:
        raise FitError("needs ok runs at two or more rank counts")
    P = np.array([p for p, _ in ok], dtype=float)
    Y = 1.0 / np.array([t for _, t in ok], dtype=float)
    X = np.column_stack([np.ones_like(P), (P - 1) / P])
    (u, v), *_ = np.linalg.lstsq(X, Y, rcond=None)
    u, v = float(u), float(v)
    if not u > 0:
        raise FitError(f"the fitted 1-rank rate 1/T(1) = {u:.4g} /s is not positive")
    resid = Y - X @ np.array([u, v])
    sse = float(resid @ resid)
    n, dof = len(Y), len(Y) - 2
    sst = float(((Y - Y.mean()) ** 2).sum())
    s = -v / u
    if dof > 0:  # delta method: ds/du = v/u^2, ds/dv = -1/u
        cov = (sse / dof) * np.linalg.inv(X.T @ X)
        g = np.array([v / u**2, -1 / u])
        s_se = math.sqrt(max(float(g @ cov @ g), 0.0))
    else:
        s_se = NAN
    q = t95(dof)
    fit = {"s": s, "s_se": s_se, "s_lo": s - q * s_se, "s_hi": s + q * s_se, "t1": 1 / u,
           "r2": 1 - sse / sst if sst > 0 and dof > 0 else NAN, "n": n, "dof": dof, "nps": nps}
    return _few_rank_counts(fit, "s", ())


# A two-parameter law through fewer rank counts than this is fitted but not
# tested: its parameters are determined by the means alone, and the repeats'
# scatter says how well the means are known, not whether the law holds.
MIN_RANK_COUNTS_TESTED = 3


def _few_rank_counts(fit, k, extrapolated):
    """Below MIN_RANK_COUNTS_TESTED rank counts: the fraction k is kept, its
    interval, R² and the extrapolations are NaN and fit["few"] is set."""
    fit["few"] = len(fit["nps"]) < MIN_RANK_COUNTS_TESTED
    if fit["few"]:
        for key in (f"{k}_se", f"{k}_lo", f"{k}_hi", "r2") + tuple(extrapolated):
            fit[key] = NAN
    return fit


def fit_warnings(fit, weak):
    """Sentences to warn of (scripts/scaling prints them, the report keeps them)."""
    if not fit or not fit.get("few"):
        return []
    n = len(fit["nps"])
    k, law = ("s", "Gustafson") if weak else ("f", "Amdahl")
    lim = "" if weak else " and no max speedup 1/f"
    return [f"only {n} rank counts: {law}'s law has two parameters, which {n} rank counts "
            f"determine without testing the law; {k} is given without an interval{lim} "
            "(run three or more rank counts for those)"]


def analyze(rows, weak):
    """summary rows with their metrics, and (fit, why-not) for the mode."""
    summary = summarize(rows)
    (weak_metrics if weak else strong_metrics)(summary)
    base = baseline(summary)
    try:
        if base is None:
            raise FitError("no run succeeded")
        fit = (fit_gustafson if weak else fit_amdahl)(rows)
        return summary, fit, None
    except FitError as e:
        return summary, None, str(e)


# ---- formatting --------------------------------------------------------------------

def fmt_num(x, spec):
    return "–" if x is None or not math.isfinite(x) else format(x, spec)


def fmt_s(t):
    """A time with 4 significant digits and no exponent."""
    if not math.isfinite(t):
        return "–"
    if t <= 0:
        return f"{t:g}"
    return f"{t:.{max(0, 3 - math.floor(math.log10(t)))}f}"


def fmt_pm(v, se):
    """(value, error) as strings with the error's two significant digits
    setting the decimals; error None when it is 0 or undefined."""
    if not (math.isfinite(se) and se > 1e-12 * max(abs(v), 1e-300)):
        return f"{v:.4g}", None
    d = max(0, min(12, 1 - math.floor(math.log10(se))))
    return f"{v:.{d}f}", f"{se:.{d}f}"


def fit_text(fit, why, weak, short=False):
    """The fit in one line (short: for a plot legend)."""
    law = "Gustafson" if weak else "Amdahl"
    if fit is None:
        return f"{law} fit not possible" if short else f"{law} fit: not possible ({why})"
    k = "s" if weak else "f"
    v, se = fmt_pm(fit[k], fit[f"{k}_se"])
    pm = f" ± {se}" if se else ""
    if short:
        r2 = f", R² = {fit['r2']:.4f}" if math.isfinite(fit["r2"]) else ""
        return f"{law} fit: {k} = {v}{pm}{r2}"
    where = f"{fit['n']} runs at {len(fit['nps'])} rank counts"
    if fit.get("few"):
        ci = f" (no interval from {len(fit['nps'])} rank counts)"
    elif se:
        d = len(v.split(".")[1]) if "." in v else 0
        ci = f" (95% interval {fit[k + '_lo']:.{d}f} to {fit[k + '_hi']:.{d}f})"
    elif fit["dof"] < 1:
        ci = " (no uncertainty: as many runs as fitted parameters; use --repeat 2 or more)"
    else:
        ci = " (the runs fit the law exactly)"
    r2 = f"{fit['r2']:.4f}" if math.isfinite(fit["r2"]) else "–"
    if weak:
        return (f"Gustafson fit S_w(P) = P − s·(P − 1), as 1/T(P) = (1 − s·(P − 1)/P)/T(1),"
                f" over {where}: serial fraction s = {v}{pm}{ci}, fitted T(1) = "
                f"{fmt_s(fit['t1'])} s, R² = {r2}")
    f = fit["f"]
    if fit.get("few"):
        lim = "f > 1: the time grows with the ranks" if f > 1 else "no limit extrapolated"
    elif f > 1:
        lim = ("f > 1: the time grows with the ranks, overhead beyond any serial part "
               "(Amdahl's law does not describe these runs)")
    elif f > 0:
        lim = f"max speedup 1/f = {fit['max_speedup']:.3g}"
        if se:
            hi = f"{1 / fit['f_lo']:.3g}" if fit["f_lo"] > 0 else "∞"
            lim += f" (95%: {1 / fit['f_hi']:.3g} to {hi})" if fit["f_hi"] > 0 else ""
    else:
        lim = "no Amdahl limit in sight (f ≤ 0: superlinear, or serial part within the noise)"
    return (f"Amdahl fit T(P) = a + b/P over {where}: serial fraction f = {v}{pm}{ci}, "
            f"{lim}, fitted T(1) = {fmt_s(fit['t1'])} s, R² = {r2}")


def table_lines(summary, weak):
    sp, eff = ("scaled speedup", "weak efficiency") if weak else ("speedup", "efficiency")
    out = [f"| np | runs | median s | min s | max s | stdev s | {sp} | {sp} 95% CI | {eff} "
           "| Karp–Flatt |",
           "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in summary:
        runs = str(s["runs"]) + (f" ({s['failed']} failed)" if s["failed"] else "")
        eff_s = "–" if not math.isfinite(s["efficiency"]) else f"{100 * s['efficiency']:.1f}%"
        ci = (f"{s['speedup_lo']:.4g}–{s['speedup_hi']:.4g}"
              if math.isfinite(s["speedup_lo"]) else "–")
        out.append(f"| {s['np']} | {runs} | {fmt_s(s['median'])} | {fmt_s(s['min'])} | "
                   f"{fmt_s(s['max'])} | {fmt_s(s['stdev'])} | "
                   f"{fmt_num(s['speedup'], '.3f')} | {ci} | {eff_s} | "
                   f"{fmt_num(s['karp_flatt'], '.4f')} |")
    return out


def notes(summary, rows, weak):
    """Sentences that say what the numbers are."""
    out = []
    base = baseline(summary)
    if base and base[0] != 1:
        p0 = base[0]
        out.append(f"No ok run at 1 rank: speedups are relative to {p0} ranks, "
                   + (f"S_w = P·T({p0})/T(P)." if weak
                      else f"S = T({p0})·{p0}/T(P) (it assumes perfect scaling up to {p0})."))
    most = max((s["runs"] for s in summary), default=0)
    if most == 1:
        out.append("One run per rank count: no spread and no interval of the speedup "
                   "(--repeat 3 or more gives both).")
    elif any(math.isfinite(s["speedup_lo"]) for s in summary):
        out.append(f"Spread: min, max and sample standard deviation of the ok runs at each "
                   f"rank count. {CI_METHOD}.")
    warm = [r for r in rows if r.get("warmup")]
    if warm:
        per = max(sum(1 for r in warm if r["np"] == p) for p in {r["np"] for r in warm})
        bad = sum(1 for r in warm if not r["ok"])
        out.append(f"{len(warm)} warm-up run{'s' if len(warm) > 1 else ''} ({per} per rank "
                   f"count, before the counted rounds) are left out"
                   + (f"; {bad} of them failed." if bad else "."))
    rows = counted(rows)
    src = [has_app_seconds(r) for r in rows if r["ok"]]
    if src and all(src):
        out.append("Times are the app's own timed region (\"seconds\" of its JSON line), "
                   "without MPI start-up.")
    elif src and not any(src):
        out.append("Times are mpirun's wall time, MPI start-up included "
                   "(the app printed no JSON line with \"seconds\").")
    elif src:
        out.append("Times are the app's timed region where it printed one, else mpirun's "
                   "wall time: the two are not comparable.")
    failed = sum(1 for r in rows if not r["ok"])
    if failed:
        out.append(f"{failed} of {len(rows)} runs failed and are left out (see logs/).")
    return out


def has_app_seconds(row):
    try:
        js = json.loads(row.get("json") or "null")
    except ValueError:
        return False
    return isinstance(js, dict) and _is_time(js.get("seconds"))


def _is_time(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


# ---- CSV ---------------------------------------------------------------------------

def read_csv(path):
    """Rows of a scaling.csv; UsageError naming the file and line otherwise."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return _parse_csv(path, f)
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a text file")


def _parse_csv(path, f):
    rd = csv.reader(f)
    try:
        header = next(rd, None)
        if header is None:
            raise UsageError(f"{path}:1: empty, not a scaling.csv")
        missing = [c for c in ("np", "seconds", "ok") if c not in header]
        if missing:
            raise UsageError(f"{path}:1: not a scaling.csv (no column {', '.join(missing)})")
        col = {name: i for i, name in enumerate(header)}
        rows = []
        for rec in rd:
            line = rd.line_num
            if not rec or all(not x.strip() for x in rec):
                continue
            if len(rec) != len(header):
                raise UsageError(f"{path}:{line}: {len(rec)} fields, the header has "
                                 f"{len(header)}")
            get = lambda name: rec[col[name]].strip() if name in col else ""  # noqa: E731
            rows.append(_parse_row(path, line, get, len(rows) + 1))
    except csv.Error as e:
        raise UsageError(f"{path}:{rd.line_num}: {e}")
    if not rows:
        raise UsageError(f"{path}: no runs in it")
    return rows


def _parse_row(path, line, get, index):
    def bad(what):
        return UsageError(f"{path}:{line}: {what}")
    try:
        p = int(get("np"))
        if p < 1:
            raise ValueError
    except ValueError:
        raise bad(f"np '{get('np')}' is not a positive whole number")
    ok_s = get("ok").lower()
    if ok_s not in ("0", "1", "true", "false"):
        raise bad(f"ok '{get('ok')}' is not 0 or 1")
    ok = ok_s in ("1", "true")
    try:
        sec = float(get("seconds")) if get("seconds") else NAN
    except ValueError:
        raise bad(f"seconds '{get('seconds')}' is not a number")
    if ok and not (math.isfinite(sec) and sec > 0):
        raise bad(f"seconds '{get('seconds')}' is not a time (the run is marked ok)")
    try:
        wall = float(get("wall_s")) if get("wall_s") else NAN
    except ValueError:
        raise bad(f"wall_s '{get('wall_s')}' is not a number")
    try:
        rep = int(get("rep")) if get("rep") else index
    except ValueError:
        raise bad(f"rep '{get('rep')}' is not a whole number")
    warm = get("warmup").lower()  # absent in the CSVs of older sweeps
    if warm not in ("", "0", "1", "true", "false"):
        raise bad(f"warmup '{get('warmup')}' is not 0 or 1")
    return {"run": get("run"), "app": get("app"), "np": p, "rep": rep, "seconds": sec,
            "wall_s": wall, "ok": ok, "json": get("json"), "warmup": warm in ("1", "true")}


def csv_row(r):
    return {"run": r["run"], "app": r["app"], "np": r["np"], "rep": r["rep"],
            "seconds": repr(r["seconds"]) if math.isfinite(r["seconds"]) else "",
            "wall_s": f"{r['wall_s']:.6f}" if math.isfinite(r["wall_s"]) else "",
            "ok": int(bool(r["ok"])), "json": r["json"], "warmup": int(bool(r.get("warmup")))}


# ---- plots -------------------------------------------------------------------------

HEX_RUN = re.compile(r"\b[0-9a-fA-F]{16,}\b")
TITLE_MAX = 80


def short_title(title, limit=TITLE_MAX):
    """A title that fits one line of a plot: hexadecimal strings of 16 digits
    or more (hashes) cut to their first 8 and an ellipsis, then words
    dropped from the end, with an ellipsis, down to limit characters."""
    t = HEX_RUN.sub(lambda m: m.group(0)[:8] + "…", " ".join(title.split()))
    if len(t) <= limit:
        return t
    words, out = t.split(" "), ""
    for w in words:
        if len(out) + len(w) + (1 if out else 0) > limit - 2:
            break
        out += (" " if out else "") + w
    return (out or t[:limit - 2]) + " …"


def points_label(summary):
    """How many runs each plotted point is made of, in words."""
    n = sorted({s["runs"] for s in summary if s["runs"]})
    if not n:
        return "measured"
    if n == [1]:
        return "measured (1 run per point)"
    k = str(n[0]) if len(n) == 1 else f"{n[0]}–{n[-1]}"
    return f"measured: median of {k} runs"


def _style_axes(ax, key, ps, weak, p0, top=None):
    """The log2 rank axis, the y axis of the speedup (log2) or efficiency
    (linear from 0), labels and grid."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator
    lo_p, hi_p = min(ps), max(ps)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ps)
    ax.set_xticklabels([str(p) for p in ps])
    ax.xaxis.set_minor_locator(NullLocator())
    if key == "speedup":  # log-log: the ideal is the diagonal
        ax.set_yscale("log", base=2)
        ax.yaxis.set_major_locator(LogLocator(base=2))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylabel(f"scaled speedup  P·T({p0})/T(P)" if weak else
                      ("speedup  T(1)/T(P)" if p0 == 1 else
                       f"relative speedup  T({p0})·{p0}/T(P)"))
    else:
        ax.set_ylim(0, max(1.0, top or 1.0) * 1.08)
        ax.set_ylabel(f"weak efficiency  T({p0})/T(P)" if weak else "efficiency  S/P")
    if hi_p > lo_p:
        ax.set_xlim(lo_p / 2**0.25, hi_p * 2**0.25)
    ax.set_xlabel("MPI ranks P")
    ax.grid(True, alpha=0.3)


def _save(fig, out_dir, key):
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, f"{key}.png"), dpi=120)
    fig.savefig(os.path.join(out_dir, f"{key}.svg"), metadata={"Date": None})


def plot(summary, fit, weak, title, out_dir, subtitle=""):
    """speedup.{png,svg} and efficiency.{png,svg}: the medians, the 95%
    interval of the speedup as error bars, the min-max spread as thin grey
    lines, the ideal and the fitted law, log2 rank axis. Returns the figures'
    titles (for the tests)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meas = [s for s in summary if s["runs"] and s["median"] > 0]
    if not meas:
        return []
    p0, t0 = baseline(summary)
    ps = [s["np"] for s in meas]
    lo_p, hi_p = min(ps), max(ps)
    grid = np.geomspace(lo_p, hi_p, 200) if hi_p > lo_p else np.array([lo_p], float)

    # Speedup of a time t at P, in the same definition as the table.
    def speedup_of(t, p):
        return p * t0 / t if weak else t0 * p0 / t

    if fit is None:
        curve = None
    elif weak:
        curve = grid - fit["s"] * (grid - 1)
    else:  # the fitted T(P) = a + b/P as speedup against its own T(P0)
        tf = fit["a"] + fit["b"] / grid
        curve = (fit["a"] + fit["b"] / p0) * p0 / tf
    legend_fit = fit_text(fit, None, weak, short=True) if fit else None
    mode = ("weak scaling" if weak else "strong scaling") + (f", {subtitle}" if subtitle else "")
    titles = []
    for key in ("speedup", "efficiency"):
        div = [1.0 if key == "speedup" else float(p) for p in ps]
        y = [s[key] for s in meas]
        y_lo = [speedup_of(s["max"], s["np"]) / d for s, d in zip(meas, div)]
        y_hi = [speedup_of(s["min"], s["np"]) / d for s, d in zip(meas, div)]
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        if key == "speedup":
            ax.plot(grid, grid, "--", color="0.5", lw=1, label="ideal S = P")
        else:
            ax.axhline(1.0, ls="--", color="0.5", lw=1, label="ideal")
        if curve is not None:
            ax.plot(grid, curve if key == "speedup" else curve / grid, "-",
                    color="tab:orange", lw=1.5, label=legend_fit)
        spread = [(p, lo, hi) for p, lo, hi in zip(ps, y_lo, y_hi) if hi > lo]
        if spread:
            ax.vlines([p for p, _, _ in spread], [lo for _, lo, _ in spread],
                      [hi for _, _, hi in spread], color="0.55", lw=4, alpha=0.45,
                      label="min–max of the runs")
        ci = [(p, v, s[f"{key}_lo"], s[f"{key}_hi"]) for p, v, s in zip(ps, y, meas)
              if math.isfinite(s[f"{key}_lo"])]
        if ci:
            ax.errorbar([c[0] for c in ci], [c[1] for c in ci],
                        yerr=[[max(v - lo, 0) for _, v, lo, _ in ci],
                              [max(hi - v, 0) for _, v, _, hi in ci]],
                        fmt="none", ecolor="tab:blue", capsize=4, lw=1.2,
                        label="95% CI (Welch t, log times)")
        ax.plot(ps, y, "o", color="tab:blue", ms=5, label=points_label(meas))
        top = max([1.0] + [v for v in y_hi + [c[3] for c in ci] if math.isfinite(v)])
        _style_axes(ax, key, ps, weak, p0, top)
        titles.append(short_title(title))
        ax.set_title(f"{titles[-1]}\n{mode}", fontsize=9)
        ax.legend(fontsize=8, loc="best")
        _save(fig, out_dir, key)
        plt.close(fig)
    return titles


def compare_plot(runs, weak, title, out_dir):
    """speedup.{png,svg} and efficiency.{png,svg} of several runs in one
    figure each: per run its medians joined by a line, with the 95%
    interval as error bars where there is one, and the ideal; the legend
    names each run by its label. runs: [(label, summary)]. Returns the
    legend's labels of the runs and the titles (for the tests)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = [(lab, [s for s in summ if s["runs"] and s["median"] > 0])
             for lab, summ in runs]
    drawn = [(lab, meas) for lab, meas in drawn if meas]
    if not drawn:
        return [], []
    ps = sorted({s["np"] for _, meas in drawn for s in meas})
    p0s = {meas[0]["np"] for _, meas in drawn}
    p0 = p0s.pop() if len(p0s) == 1 else None
    lo_p, hi_p = min(ps), max(ps)
    grid = np.geomspace(lo_p, hi_p, 200) if hi_p > lo_p else np.array([lo_p], float)
    labels, titles = [], []
    colours = plt.get_cmap("tab10")
    for key in ("speedup", "efficiency"):
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        if key == "speedup":
            ax.plot(grid, grid, "--", color="0.5", lw=1, label="ideal S = P")
        else:
            ax.axhline(1.0, ls="--", color="0.5", lw=1, label="ideal")
        top = 1.0
        labels = []
        for i, (lab, meas) in enumerate(drawn):
            c = colours(i % 10)
            x = [s["np"] for s in meas]
            y = [s[key] for s in meas]
            n = points_label(meas)
            if n.endswith("(1 run per point)"):
                lab = short_title(lab, 48) + " (1 run per point)"
            else:
                lab = short_title(lab, 48) + (f" ({n.split('of ')[1]} per point)"
                                              if "median of" in n else "")
            labels.append(lab)
            ax.plot(x, y, "o-", color=c, ms=4, lw=1.2, label=lab)
            ci = [(s["np"], s[key], s[f"{key}_lo"], s[f"{key}_hi"]) for s in meas
                  if math.isfinite(s[f"{key}_lo"])]
            if ci:
                ax.errorbar([q[0] for q in ci], [q[1] for q in ci],
                            yerr=[[max(v - lo, 0) for _, v, lo, _ in ci],
                                  [max(hi - v, 0) for _, v, _, hi in ci]],
                            fmt="none", ecolor=c, capsize=3, lw=1)
            top = max([top] + [v for v in y + [q[3] for q in ci] if math.isfinite(v)])
        if p0 is None:  # each run against its own smallest rank count
            _style_axes(ax, key, ps, weak, 1, top)
            name = (("scaled speedup" if weak else "speedup") if key == "speedup"
                    else ("weak efficiency" if weak else "efficiency"))
            ax.set_ylabel(f"{name} (each run against its smallest P)")
        else:
            _style_axes(ax, key, ps, weak, p0, top)
        titles.append(short_title(title))
        ci_note = "; bars: 95% CI" if any(math.isfinite(s["speedup_lo"])
                                            for _, meas in drawn for s in meas) else ""
        ax.set_title(f"{titles[-1]}\n{'weak' if weak else 'strong'} scaling, medians"
                     f"{ci_note}", fontsize=9)
        ax.legend(fontsize=8, loc="best")
        _save(fig, out_dir, key)
        plt.close(fig)
    return labels, titles


# ---- outputs -----------------------------------------------------------------------

def write_outputs(rows, weak, out_dir, title, meta):
    """summary.csv, report.md and the four images in out_dir. Returns the
    text to print (the table, the fit and the notes) and the warnings."""
    summary, fit, why = analyze(rows, weak)
    with open(os.path.join(out_dir, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SUMMARY_FIELDS)
        for s in summary:
            w.writerow([s["np"], s["runs"]] + [f"{s[k]:.9g}" if math.isfinite(s[k]) else ""
                                               for k in SUMMARY_FIELDS[2:]])
    where = (f"{meta.get('host', '?')} ({meta.get('nproc', '?')} cores)"
             if meta and meta.get("host") else "")
    plot(summary, fit, weak, title, out_dir, where)

    table = table_lines(summary, weak)
    line = fit_text(fit, why, weak)
    extra = notes(summary, rows, weak)
    warnings = fit_warnings(fit, weak)
    md = [f"# Scaling of `{title}`", "",
          ("Weak scaling: the work grows with the ranks." if weak else
           "Strong scaling: the same problem at every rank count."), ""]
    if meta:
        md += [f"Command: `{meta.get('command', '')}`", "",
               f"Machine: {meta.get('host', '?')}, {meta.get('cpu', '?')}, "
               f"{meta.get('nproc', '?')} cores (nproc); {meta.get('mpi', '?')}; "
               f"{meta.get('date', '')}" + (f"; taskfarm {meta['commit']}"
                                            if meta.get("commit") else ""), ""]
        if meta.get("repeat"):
            n = meta["repeat"]
            w = meta.get("warmup") or 0
            md += [f"Each rank count ran {n} time{'s' if n > 1 else ''}, interleaved (every "
                   f"rank count once, then again), binding {meta.get('bind', '?')}"
                   + (f", after {w} warm-up round{'s' if w > 1 else ''} left out of the "
                      "analysis." if w else "."), ""]
    if meta and meta.get("methods"):
        md += ["## Methods", ""] + methods_lines(meta["methods"]) + [
            f"- launcher: {meta.get('mpi', '?')}; binding {meta.get('bind', '?')}", ""]
        if os.path.exists(os.path.join(out_dir, "topology.txt")):
            md += ["The machine's topology as `lstopo-no-graphics --of console --no-io` "
                   "drew it: [topology.txt](topology.txt). All of it, machine-readable: "
                   "`meta.json`.", ""]
        md += ["## Results", ""]
    md += table + ["", line, ""]
    for n in warnings:
        md += [f"**Warning:** {n}.", ""]
    for n in extra:
        md += [n, ""]
    md += ["![speedup](speedup.png)", "", "![efficiency](efficiency.png)", ""]
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write("\n".join(md))
    return "\n".join(table + ["", line] + extra), warnings


# ---- methods: what a methods section needs -------------------------------------------

def _run(cmd, timeout=30):
    """stdout of cmd, '' if it cannot be run or fails."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return r.stdout if r.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def app_version(app):
    """What `APP --version` prints (taskfarm's apps: ak_print_version), as a
    dict: taskfarm, mpi_library, mpi_standard, build_type, compiler, c_flags.
    Run directly, as an MPI singleton, and only when the binary holds
    ak_print_version's format: any other program might take --version for
    something else, or not at all. {} for an app without it."""
    d = {}
    try:
        with open(app, "rb") as f:
            head = f.read(4)
            if head != b"\x7fELF" or b" (taskfarm) %d.%d.%d" not in f.read(64 << 20):
                return d
    except OSError:
        return d
    out = _run([app, "--version"])
    m = re.match(r"\S+ \(taskfarm\) (\S+)", out)
    if not m:
        return d
    d["taskfarm"] = m.group(1)
    for ln in out.splitlines()[1:]:
        key, _, val = ln.partition(": ")
        if key == "MPI library":
            d["mpi_library"] = val.strip()
        elif key == "MPI standard":
            d["mpi_standard"] = val.strip()
        elif key == "build":
            for part in ln[len("build: "):].split("; "):
                if part.startswith("compiler: "):
                    d["compiler"] = part[len("compiler: "):]
                elif part.startswith("C flags: "):
                    d["c_flags"] = part[len("C flags: "):]
                else:
                    d["build_type"] = part
    return d


def linked(app):
    """The MPI and taskfarm libraries the dynamic linker resolves for app
    (ldd): {"mpi": path, "taskfarm": path}, those found."""
    d = {}
    for ln in _run(["ldd", app]).splitlines():
        name, arrow, rest = ln.strip().partition(" => ")
        path = rest.split(" (")[0].strip() if arrow else ""
        if not path or path == "not found":
            continue
        if re.match(r"lib(mpi|mpich)(_\w+)?\.so", name) and "mpi" not in d:
            d["mpi"] = path
        elif name.startswith("libtaskfarm"):
            d["taskfarm"] = path
    return d


def cmake_cache(app):
    """The build's settings from the CMakeCache.txt of the build tree that
    holds app (build/bin/APP: build/CMakeCache.txt): path, build_type,
    c_compiler, c_flags (CMAKE_C_FLAGS and those of the build type) and the
    TF_* options. {} when app is not in a build tree."""
    d = os.path.dirname(os.path.realpath(app))
    for _ in range(3):
        path = os.path.join(d, "CMakeCache.txt")
        if os.path.isfile(path):
            break
        d = os.path.dirname(d)
    else:
        return {}
    cache = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for ln in f:
                m = re.match(r"([A-Za-z_][\w-]*):(\w+)=(.*)$", ln.rstrip("\n"))
                if m and m.group(2) != "INTERNAL":
                    cache[m.group(1)] = m.group(3)
    except OSError:
        return {}
    bt = cache.get("CMAKE_BUILD_TYPE", "")
    flags = " ".join(x for x in (cache.get("CMAKE_C_FLAGS", ""),
                                 cache.get(f"CMAKE_C_FLAGS_{bt.upper()}", "") if bt else "")
                     if x.strip())
    return {"path": path, "build_type": bt, "c_compiler": cache.get("CMAKE_C_COMPILER", ""),
            "c_flags": flags,
            "options": {k: v for k, v in sorted(cache.items()) if k.startswith("TF_")}}


def topology():
    """The machine as hwloc sees it (hwloc-info): packages, numa_nodes,
    cores, pus, smt (PUs per core) and the tool's version; {"error": why}
    without hwloc."""
    out = _run(["hwloc-info"])
    if not out:
        return {"error": "hwloc-info not found or failed (Debian package hwloc)"}
    count = {}
    for ln in out.splitlines():
        m = re.search(r"depth -?\d+:\s+(\d+) (\w+) \(type", ln)
        if m:
            count[m.group(2)] = count.get(m.group(2), 0) + int(m.group(1))
    d = {"packages": count.get("Package"), "numa_nodes": count.get("NUMANode"),
         "cores": count.get("Core"), "pus": count.get("PU"),
         "tool": _run(["hwloc-info", "--version"]).strip()}
    if d["cores"] and d["pus"]:
        d["smt"] = d["pus"] // d["cores"]
    return d


def methods(app, root):
    """Everything a methods section states about a sweep of app, as a dict
    (meta.json's "methods"; report.md renders it)."""
    u = os.uname()
    ver = app_version(app)
    src = {}
    try:
        with open(os.path.join(root, "lib", "include", "taskfarm.h")) as f:
            src = dict(re.findall(r"#define TF_VERSION_(MAJOR|MINOR|PATCH) (\d+)", f.read()))
    except OSError:
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f
                        if ln.startswith("model name")), "")
    except OSError:
        pass
    return {
        "taskfarm_version": ver.get("taskfarm") or ".".join(
            src.get(k, "?") for k in ("MAJOR", "MINOR", "PATCH")),
        "taskfarm_version_from": "the app's --version" if ver.get("taskfarm")
        else "the source tree's taskfarm.h",
        "app_version": ver, "cmake": cmake_cache(app), "linked": linked(app),
        "kernel": f"{u.sysname} {u.release} {u.version} {u.machine}",
        "cpu_model": cpu or u.machine, "topology": topology(),
        "tf_env": {k: v for k, v in sorted(os.environ.items()) if k.startswith("TF_")},
    }


def methods_lines(m):
    """methods() as Markdown list items."""
    ver, cm, ln, topo = m.get("app_version", {}), m.get("cmake", {}), m.get("linked", {}), \
        m.get("topology", {})
    src = m.get("taskfarm_version_from", "?")
    out = [f"- taskfarm {m.get('taskfarm_version', '?')} (from {src})"]
    build = ver.get("build_type") or cm.get("build_type")
    flags = ver.get("c_flags") or cm.get("c_flags")
    comp = ver.get("compiler") or cm.get("c_compiler")
    if build or flags or comp:
        src = "the program" if ver.get("build_type") else "CMakeCache.txt"
        out.append(f"- build: {build or '?'}; compiler {comp or '?'}"
                   + (f" ({cm['c_compiler']})" if cm.get("c_compiler") and ver.get("compiler")
                      else "") + f"; C flags `{flags or 'none'}` (from {src})")
    if cm.get("options"):
        out.append("- build options: " + ", ".join(f"{k}={v or '(empty)'}"
                                                   for k, v in cm["options"].items()))
    mpi = ver.get("mpi_library")
    if mpi or ln.get("mpi"):
        out.append(f"- MPI library linked: {mpi or '?'}"
                   + (f" (MPI {ver['mpi_standard']})" if ver.get("mpi_standard") else "")
                   + (f"; {ln['mpi']}" if ln.get("mpi") else ""))
    out.append(f"- kernel: {m.get('kernel', '?')}")
    if topo.get("error"):
        t = topo["error"]
    else:
        smt = topo.get("smt")
        t = (f"{topo.get('packages')} socket(s), {topo.get('numa_nodes')} NUMA node(s), "
             f"{topo.get('cores')} cores, {topo.get('pus')} hardware threads"
             + (f" ({smt}-way SMT)" if smt and smt > 1 else " (no SMT)" if smt else "")
             + f" ({topo.get('tool') or 'hwloc'})")
    out.append(f"- CPU: {m.get('cpu_model', '?')}; {t}")
    env = m.get("tf_env") or {}
    out.append("- TF_* environment: " + (", ".join(f"`{k}={v}`" for k, v in env.items())
                                          if env else "none set"))
    return out


def write_compare(runs, weak, out_dir, title):
    """compare.csv (every run's summary rows, with its label), compare.md
    and the two plots. runs: [(label, rows, meta or None)]. Returns the text
    to print."""
    done = []
    for label, rows, meta in runs:
        summary, fit, why = analyze(rows, weak)
        done.append((label, summary, fit, why, meta))
    with open(os.path.join(out_dir, "compare.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["label"] + SUMMARY_FIELDS)
        for label, summary, *_ in done:
            for s in summary:
                w.writerow([label, s["np"], s["runs"]] + [
                    f"{s[k]:.9g}" if math.isfinite(s[k]) else "" for k in SUMMARY_FIELDS[2:]])
    compare_plot([(d[0], d[1]) for d in done], weak, title, out_dir)
    md = [f"# {title}", "", f"{'Weak' if weak else 'Strong'} scaling of {len(done)} runs.", ""]
    text = []
    for label, summary, fit, why, meta in done:
        sec = [f"## {label}", ""]
        if meta:
            sec += [f"Command: `{meta.get('command', '?')}`; {meta.get('host', '?')}, "
                    f"{meta.get('date', '')}", ""]
        sec += table_lines(summary, weak) + ["", fit_text(fit, why, weak), ""]
        sec += [f"**Warning:** {w}." for w in fit_warnings(fit, weak)]
        md += sec + ([""] if sec[-1] else [])
        text += [f"{label}:"] + table_lines(summary, weak) + [fit_text(fit, why, weak), ""]
    md += ["![speedup](speedup.png)", "", "![efficiency](efficiency.png)", ""]
    with open(os.path.join(out_dir, "compare.md"), "w") as f:
        f.write("\n".join(md))
    return "\n".join(text).rstrip()


# ---- the sweep ---------------------------------------------------------------------

class Launcher:
    """The mpirun command (words) and what it is: Open MPI takes
    --allow-run-as-root and --oversubscribe, MPICH's Hydra neither. With
    srun=True the words are an srun command: each run is a job step of the
    allocation, bound by Slurm's --cpu-bind."""

    def __init__(self, words, srun=False):
        self.words = list(words)
        self.srun = srun
        try:
            r = subprocess.run(self.words + ["--version"], capture_output=True, text=True,
                               timeout=60, stdin=subprocess.DEVNULL)
            text = (r.stdout + r.stderr).strip()
        except (OSError, subprocess.SubprocessError) as e:
            text = f"{shlex.join(self.words)} --version: {e}"
        self.version = next((ln.strip() for ln in text.splitlines() if ln.strip()), "unknown")
        self.openmpi = "Open MPI" in text or "OpenRTE" in text
        self.hydra = "HYDRA" in text

    def command(self, p, bind, cores, argv):
        if self.srun:
            return self.srun_command(p, bind, cores, argv)
        cmd = list(self.words)
        if self.openmpi and hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
        cmd += ["-np", str(p)]
        over = ["--oversubscribe"] if self.openmpi and p > cores else []
        if bind == "core":  # forced: more ranks than cores then share cores
            cmd += ["--bind-to", "core:overload-allowed" if over else "core",
                    "--map-by", "core"] + over
        elif bind == "none" or p > cores:
            cmd += over + ["--bind-to", "none"]
            # taskfarm's TF_BIND=auto would bind an unbound rank itself
            if bind == "none" and self.openmpi:
                cmd += ["-x", "TF_BIND=none"]
            elif bind == "none" and self.hydra:
                cmd += ["-genv", "TF_BIND", "none"]
        else:
            cmd += ["--bind-to", "core", "--map-by", "core"]
        return cmd + list(argv)

    def srun_command(self, p, bind, cores, argv):
        cmd = list(self.words) + ["-n", str(p)]
        if bind == "core" or (bind == "auto" and p <= cores):
            cmd.append("--cpu-bind=cores")
        else:
            cmd.append("--cpu-bind=none")
            if bind == "none":  # taskfarm's TF_BIND=auto would bind it itself
                cmd.append("--export=ALL,TF_BIND=none")
        return cmd + list(argv)


def last_json(stdout):
    """The last non-empty stdout line when it is a JSON object: (dict, line)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                js = json.loads(line)
                if isinstance(js, dict):
                    return js, line
            except ValueError:
                pass
        break
    return None, ""


def _lines(text):
    return text if not text or text.endswith("\n") else text + "\n"


def _kill_group(proc):
    """SIGTERM to mpirun's process group (mpirun passes it on to its ranks),
    SIGKILL after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_one(cmd, timeout):
    """Runs cmd in its own process group; returns (rc or None on timeout,
    stdout, stderr, wall seconds). Output goes to files, not pipes, so that
    a rank left behind cannot hold the reader. Ctrl-C kills the run."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            rc = None
        except BaseException:
            _kill_group(proc)
            raise
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return (rc, out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"), wall)


def run_sweep(launcher, app, args_for, ranks, repeat, out_dir, bind, timeout, run_name,
              rows, log=sys.stderr, warmup=0):
    """Every rank count once per round: `warmup` rounds whose runs are
    marked warmup (kept, not counted), then `repeat` rounds; appends each
    run's row to rows (the caller's list, so that an interrupted sweep keeps
    what it has) and to scaling.csv as it goes, each run's output to logs/."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    logs = os.path.join(out_dir, "logs")
    os.makedirs(logs, exist_ok=True)
    total, k = (warmup + repeat) * len(ranks), 0
    with open(os.path.join(out_dir, "scaling.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        f.flush()
        rounds = [(True, r) for r in range(1, warmup + 1)]
        rounds += [(False, r) for r in range(1, repeat + 1)]
        for warm, rep in rounds:
            for p in ranks:
                k += 1
                cmd = launcher.command(p, bind, cores, [app] + args_for(p))
                rc, out, err, wall = run_one(cmd, timeout)
                js, js_line = last_json(out)
                app_s = js.get("seconds") if js else None
                secs = float(app_s) if _is_time(app_s) else wall
                if rc is None:
                    status = f"TIMEOUT after {timeout:g} s"
                elif rc != 0:
                    status = f"FAILED (exit {rc})"
                elif js is not None and js.get("ok") is False:
                    status = "FAILED (the app reports \"ok\": false)"
                else:
                    status = "ok"
                what = f"warmup{rep}" if warm else f"rep{rep}"
                with open(os.path.join(logs, f"np{p}-{what}.log"), "w") as lf:
                    lf.write(f"$ {shlex.join(cmd)}\n" + _lines(out))
                    if err:
                        lf.write("---- stderr ----\n" + _lines(err))
                    lf.write(f"---- {status}; wall {wall:.3f} s ----\n")
                row = {"run": run_name, "app": os.path.basename(app), "np": p, "rep": rep,
                       "seconds": secs, "wall_s": wall, "ok": status == "ok", "json": js_line,
                       "warmup": warm}
                rows.append(row)
                w.writerow(csv_row(row))
                f.flush()
                print(f"scaling: [{k}/{total}] {'warm-up' if warm else 'rep'} {rep} np {p}: "
                      f"{fmt_s(secs)} s "
                      f"(wall {wall:.2f} s) {status}", file=log, flush=True)
    return rows
