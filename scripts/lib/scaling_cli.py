"""scaling - a strong- or weak-scaling sweep of one app, with fits and plots.

usage: scripts/scaling APP [app args] --ranks 1,2,4,... [--repeat R] [--weak]
                       [--name RUN] [--out DIR] [--bind auto|core|none]
                       [--timeout SEC] [--mpirun CMD] [-- app args...]
       scripts/scaling --analyze results/RUN/scaling.csv [--weak]

Runs `mpirun -np P APP args` for every P of --ranks, R times, interleaved
(round 1 goes through every P, then round 2, ...), so that the machine's
drift hits every P alike. The time of a run is the app's own timed region
when its last stdout line is a JSON object with "seconds" (as taskfarm's
apps print), else mpirun's wall time. With --weak the app arguments may hold
{np} or {np*K}, replaced by P or P*K, so that the work grows with the ranks.

Binding: auto binds each rank to a core (--bind-to core --map-by core) while
P fits the cores and runs unbound and oversubscribed beyond; core and none
force it. --mpirun CMD (or TF_MPIRUN) replaces the launcher, e.g.
".devbundle/run.sh mpirun".

Writes results/RUN/ (RUN defaults to APP-YYYYmmdd-HHMMSS): scaling.csv (every
run), summary.csv (per P), report.md, speedup.png/.svg, efficiency.png/.svg,
meta.json and logs/. Prints the table and the fit: speedup, efficiency,
Karp-Flatt serial fraction, and the least-squares Amdahl (or, --weak,
Gustafson) serial fraction with its uncertainty.

Exit status: 0 every run ok, 1 some run failed (the rest is still analysed),
2 bad usage.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import tfscaling as ts  # noqa: E402

OPTS_WITH_VALUE = {"--ranks", "--repeat", "--name", "--out", "--bind", "--timeout", "--mpirun",
                   "--analyze"}


def die(msg, code=2):
    print(f"scaling: {msg}", file=sys.stderr)
    sys.exit(code)


def parse(argv):
    o = {"ranks": None, "repeat": 3, "weak": False, "name": None,
         "out": os.path.join(ROOT, "results"), "bind": "auto", "timeout": 3600.0,
         "mpirun": os.environ.get("TF_MPIRUN", ""), "analyze": None}
    app, app_args = None, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            app_args += argv[i + 1:]
            break
        if a in ("-h", "--help"):
            print(__doc__.strip())
            sys.exit(0)
        if a == "--weak":
            o["weak"] = True
        elif a in OPTS_WITH_VALUE:
            if i + 1 >= len(argv):
                die(f"{a} needs a value")
            o[a[2:]] = argv[i + 1]
            i += 1
        elif app is None and not a.startswith("-"):
            app = a
        else:
            app_args.append(a)
        i += 1

    if o["analyze"] is not None:
        if app is not None or app_args:
            die("--analyze takes no app")
        return o, None, []
    if app is None:
        die("no app given (try --help)")
    if o["ranks"] is None:
        die("--ranks is required, e.g. --ranks 1,2,4")
    try:
        ranks = [int(x) for x in o["ranks"].split(",")]
        if not ranks or min(ranks) < 1 or len(set(ranks)) != len(ranks):
            raise ValueError
    except ValueError:
        die(f"--ranks: want distinct positive whole numbers separated by commas, got "
            f"'{o['ranks']}'")
    o["ranks"] = sorted(ranks)
    try:
        o["repeat"] = int(o["repeat"])
        if o["repeat"] < 1:
            raise ValueError
    except ValueError:
        die(f"--repeat: want a whole number from 1, got '{o['repeat']}'")
    try:
        o["timeout"] = float(o["timeout"])
        if not o["timeout"] > 0:
            raise ValueError
    except ValueError:
        die(f"--timeout: want a positive number of seconds, got '{o['timeout']}'")
    if o["bind"] not in ("auto", "core", "none"):
        die(f"--bind: want auto, core or none, got '{o['bind']}'")
    has_ph = any(ts.PLACEHOLDER.search(a) for a in app_args)
    if has_ph and not o["weak"]:
        die("{np} in the app arguments needs --weak")
    if o["name"] is not None and (not o["name"] or "/" in o["name"]):
        die(f"--name: want a plain directory name, got '{o['name']}'")

    path = app if os.sep in app else os.path.join(ROOT, "build", "bin", app)
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        if os.sep not in app:
            die(f"{app}: no such program in build/bin (run scripts/setup)")
        die(f"{app}: not an executable file")
    return o, os.path.abspath(path), app_args


def ensure_plotting():
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    die(f"matplotlib is missing for {sys.executable} (scripts/setup installs Debian's "
        "python3-matplotlib for /usr/bin/python3)")


def main():
    o, app, app_args = parse(sys.argv[1:])
    ensure_plotting()
    try:
        if o["analyze"] is not None:
            rows = ts.read_csv(o["analyze"])
            out_dir = os.path.dirname(os.path.abspath(o["analyze"]))
            meta = None
            try:
                import json
                with open(os.path.join(out_dir, "meta.json")) as f:
                    meta = json.load(f)
            except (OSError, ValueError):
                pass
            title = (meta or {}).get("title") or rows[0].get("app") or "scaling"
            print(ts.write_outputs(rows, o["weak"], out_dir, title, meta))
            print(f"scaling: written to {out_dir}/", file=sys.stderr)
            return 0

        import json
        import time
        name = o["name"] or f"{os.path.basename(app)}-{time.strftime('%Y%m%d-%H%M%S')}"
        out_dir = os.path.join(o["out"], name)
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as e:
            die(f"{out_dir}: {e.strerror}")
        title = " ".join([os.path.basename(app)] + app_args)
        command = " ".join(["scripts/scaling"] + sys.argv[1:])
        meta = ts.machine_meta(command)
        meta.update({"title": title, "ranks": o["ranks"], "repeat": o["repeat"],
                     "weak": o["weak"], "bind": o["bind"]})
        with open(os.path.join(out_dir, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        rows = ts.run_sweep(app, app_args, o["ranks"], o["repeat"], out_dir, o["bind"],
                            o["timeout"], o["mpirun"], name)
        failed = sum(1 for r in rows if not r["ok"])
        if failed == len(rows):
            die(f"every run failed: see {os.path.relpath(out_dir)}/logs/", 1)
        print(ts.write_outputs(rows, o["weak"], out_dir, title, meta))
        print(f"scaling: written to {os.path.relpath(out_dir)}/", file=sys.stderr)
        return 1 if failed else 0
    except ts.UsageError as e:
        die(str(e))


if __name__ == "__main__":
    sys.exit(main())
