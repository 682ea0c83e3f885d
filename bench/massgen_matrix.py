"""The MassGen version matrix: `doctor` and real runs of every seam, one MassGen release at a time.

Usage: make matrix   (.venv/bin/python bench/massgen_matrix.py [VERSION ...])
       .venv/bin/python bench/massgen_matrix.py --scan-all   (every release's source, no runs)

For each version it makes `.venv-matrix/VERSION` with uv: `massgen==VERSION` from the package
index beside our four distributions, built once as wheels (as `.venv-massgen` has them), and
records `uv pip check`. Then, in a network namespace with only the loopback interface up
(where the kernel allows it), with that environment's Python:

- `massgen-plugins doctor --json` (MassGen's source) and `doctor --live --json` (MassGen
  imported with the bridge on): each seam's status;
- a compaction run: bench/massgen_compaction.py's real `massgen --automation` run against the
  loopback emulator, compact_openai on, where a Responses agent and a Chat Completions agent
  overflow their windows: exit, winner, /responses/compact calls, MassGen summarizer calls;
- a throttle run: that run's recording replayed as recorded by the real `massgen viewer`,
  headless (bench/massgen_tui.py's replay and probe), with tui_throttle on and off: how many
  events tui_throttle's sink took in, how many MassGen's timeline adapters got, and whether
  every agent's final timeline and the order of critical events were the same on and off.

It rewrites the matrix section of docs/massgen-versions.md and prints how long it all took.
`--scan-all` downloads every release's wheel (pip, no dependencies) and checks each seam in
its source as `doctor` does, and whether uv resolves it beside our distributions on Python
3.11; it rewrites the other section of that file. Installs and downloads come from uv's and
pip's caches on later runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The Makefile's uv (on PATH, or bootstrapped into .tools/).
UV = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
MATRIX = ROOT / ".venv-matrix"
DOC = ROOT / "docs" / "massgen-versions.md"
PLUGINS = ("compact_openai", "log_analyzer", "tui_throttle")
# The oldest release the README once claimed (outside the range: two seams missing), the first
# with every seam whole, releases in between, 0.1.90 (issue 23; the single-module CLI, to
# 0.1.92), the first with massgen/cli/, the newest.
VERSIONS = ("0.1.46", "0.1.66", "0.1.74", "0.1.82", "0.1.90", "0.1.93", "0.1.97")
FIRST_VIEWER = (0, 1, 62)  # `massgen viewer` came with 0.1.62
# Releases before 0.1.54 do not cap fastmcp; today that resolves fastmcp 4 and mcp 2, whose
# mcp.client.streamable_http lacks what `import massgen.cli` needs, with or without us. Those
# get the cap MassGen itself added in 0.1.54.
CAPPED = ((0, 1, 54), "fastmcp<3")
SEAMS = ("run_config", "compression", "tui", "logs_cli")
MARK = "<!-- {} (written by bench/massgen_matrix.py) -->"
# Added to the TUI bench's sitecustomize in the viewer: how many events tui_throttle's sink
# took in (its `emit`, the event-sink interface), written at exit.
COUNT_THROTTLE = """
import atexit as _atexit, json as _json, os as _os, wrapt as _wrapt
_TOOK = [0]
def _count(module):
    def emit(wrapped, instance, args, kwargs):
        _TOOK[0] += 1
        return wrapped(*args, **kwargs)
    _wrapt.wrap_function_wrapper(module, "ThrottleSink.emit", emit)
_wrapt.register_post_import_hook(_count, "massgen_tui_throttle.throttle")
def _write():
    with open(_os.environ["BENCH_MATRIX_THROTTLE_OUT"], "w") as fh:
        _json.dump({"took": _TOOK[0]}, fh)
_atexit.register(_write)
"""


def vt(version: str) -> tuple[int, ...]:
    """`0.1.97` as (0, 1, 97)."""
    return tuple(int(p) for p in version.split("."))


# -- outside: environments, isolation, the table ---------------------------------------------


def build_wheels(out: Path) -> list[Path]:
    """Our four distributions as wheels, built from this checkout."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.whl"):
        old.unlink()
    for folder in (ROOT, *(ROOT / "plugins" / p for p in PLUGINS)):
        subprocess.run([str(UV), "build", "--wheel", "--quiet", "-o", str(out), str(folder)],
                       check=True)
    return sorted(out.glob("*.whl"))


def make_env(version: str, wheels: list[Path]) -> dict[str, Any]:
    """`.venv-matrix/VERSION` with massgen==VERSION and our wheels; install and pip check."""
    env = MATRIX / version
    python = env / "bin" / "python"
    ours = [str(w) for w in wheels]
    capped = [CAPPED[1]] if vt(version) < CAPPED[0] else []
    subprocess.run([str(UV), "venv", "--quiet", "--allow-existing", "--python", sys.executable,
                    str(env)], check=True)
    install = subprocess.run(
        [str(UV), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python),
         *(f"--reinstall-package={n}" for n in ("massgen-plugins", "massgen-compact-openai",
                                               "massgen-log-analyzer", "massgen-tui-throttle")),
         f"massgen=={version}", *capped, *ours], capture_output=True, text=True)
    if install.returncode != 0:
        return {"install": False, "install_error": last_line(install.stderr), "python": None,
                "capped": capped}
    check = subprocess.run([str(UV), "pip", "check", "--python", str(python)],
                           capture_output=True, text=True)
    return {"install": True, "pip_check": check.returncode == 0,
            "pip_check_text": last_line(check.stdout + check.stderr), "python": str(python),
            "capped": capped}


def isolation() -> list[str]:
    """A command prefix for a network namespace with only loopback up; [] where none is had."""
    try:
        subprocess.run(["unshare", "-n", "true"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return []
    if shutil.which("ip") is None:
        return []
    return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]


def last_line(text: str) -> str:
    """The last non-empty line of a command's output."""
    return (text.strip().splitlines() or [""])[-1][:300]


def run_version(version: str, wheels: list[Path], prefix: list[str], work: Path) -> dict[str, Any]:
    """Everything the matrix records for one MassGen release."""
    started = time.monotonic()
    row: dict[str, Any] = {"version": version, **make_env(version, wheels)}
    row["install_s"] = round(time.monotonic() - started, 1)
    if row["install"]:
        out = work / f"{version}.json"
        done = subprocess.run([*prefix, row["python"], __file__, "--inside", str(out)],
                              capture_output=True, text=True, timeout=3600, cwd=work)
        if out.is_file():
            row.update(json.loads(out.read_text(encoding="utf-8")))
        else:
            row["error"] = last_line(done.stderr) or f"exit {done.returncode}"
    row["wall_s"] = round(time.monotonic() - started, 1)
    return row


def matrix_table(rows: list[dict[str, Any]], total_s: float, isolated: bool,
                 load: float) -> str:
    """The matrix section of docs/massgen-versions.md."""
    lines = [
        f"`make matrix` took {total_s / 60:.1f} minutes for {len(rows)} releases on this project's "
        f"2-core machine, at a load average of {load:.0f} (other work shared it)"
        f"{', each run in a network namespace with only loopback' if isolated else ''}. "
        "Wall: per release, with its install in brackets. Each seam: `doctor` from the source "
        "/ `doctor --live` with MassGen imported. Compaction: a real `massgen --automation` run against the "
        "loopback emulator, compact_openai on, agent_a (Responses) and agent_c (Chat "
        "Completions) overflowing their windows. Throttle: that run replayed as recorded in the "
        "real `massgen viewer`, headless, tui_throttle on and off; the final timelines compared "
        "but for the final answer card's body, which MassGen alone fills or not by timing.",
        "",
        "| MassGen | install | `uv pip check` | " + " | ".join(f"`{s}`" for s in SEAMS)
        + " | compaction run: exit / winner / compact calls / summarizer calls | bridge warnings "
        "| throttle run | wall |",
        "|---" * (7 + len(SEAMS)) + "|",
    ]
    for row in rows:
        cap = f" (with `{row['capped'][0]}`)" if row["capped"] else ""
        cells = [row["version"], f"ok{cap}" if row["install"] else f"FAILED: {row['install_error']}"]
        if not row["install"]:
            lines.append("| " + " | ".join(cells + ["-"] * (5 + len(SEAMS))) + " |")
            continue
        cells.append("clean" if row["pip_check"] else f"NOT clean: {row['pip_check_text']}")
        if "error" in row:
            cells += [f"the run failed: {row['error']}"] + ["-"] * (3 + len(SEAMS))
            lines.append("| " + " | ".join([*cells, f"{row['wall_s']:.0f} s"]) + " |")
            continue
        for seam in SEAMS:
            cells.append(seam_cell(row["doctor"].get(seam), row["live"].get(seam)))
        run = row["compaction"]
        cells.append(f"{run['exit']} / {run['winner']} / {run['compact']} / {run['summarizer']}"
                     + (f": {run['last_error'][:200]}" if run["last_error"] else ""))
        cells.append("<br>".join(row["warnings"]) or "none")
        cells.append(row["throttle"])
        cells.append(f"{row['wall_s']:.0f} s ({row['install_s']:.0f} s)")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def seam_cell(source: dict[str, str] | None, live: dict[str, str] | None) -> str:
    """`ok`, or a status with why, from doctor's source check and the live bridge."""
    def one(state: dict[str, str] | None) -> str:
        if state is None:
            return "?"
        status = state["status"]
        return status if not state.get("detail") else f"{status} ({state['detail']})"

    a, b = one(source), one(live)
    return a if a == b else f"{a} / live: {b}"


def write_section(name: str, text: str) -> None:
    """Replace one marked section of docs/massgen-versions.md (the file is made if missing)."""
    DOC.parent.mkdir(exist_ok=True)
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    start, end = MARK.format(f"{name} start"), MARK.format(f"{name} end")
    block = f"{start}\n{text}\n{end}"
    if start in doc and end in doc:
        doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip("\n") + ("\n\n" if doc else "") + block + "\n"
    DOC.write_text(doc, encoding="utf-8")


def matrix(versions: list[str]) -> None:
    """Install, check and run every version given; write the table; say how long it took."""
    started = time.monotonic()
    loads = [os.getloadavg()[0]]
    prefix = isolation()
    MATRIX.mkdir(exist_ok=True)
    wheels = build_wheels(MATRIX / "wheels")
    rows = []
    with tempfile.TemporaryDirectory(prefix="massgen-matrix-") as tmp:
        for version in versions:
            row = run_version(version, wheels, prefix, Path(tmp))
            rows.append(row)
            print(f"{version}: {json.dumps(summary(row))}", flush=True)
            loads.append(os.getloadavg()[0])
    total = time.monotonic() - started
    write_section("matrix", matrix_table(rows, total, bool(prefix), sum(loads) / len(loads)))
    print(f"the matrix of {len(rows)} MassGen releases took {total:.0f} s "
          f"({total / 60:.1f} min); table in {DOC.relative_to(ROOT)}")


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """A row's main facts for the console."""
    keep = ("install", "pip_check", "error", "throttle", "wall_s")
    out = {k: row[k] for k in keep if k in row}
    if "doctor" in row:
        out["seams"] = {s: (row["live"].get(s) or {}).get("status") for s in SEAMS}
        out["compaction"] = row["compaction"]
    return out


# -- inside one version's environment ---------------------------------------------------------


def inside(out: Path) -> None:
    """Run doctor, the compaction run and the throttle replays here; write what they showed."""
    sys.path.insert(0, str(ROOT))
    from bench import massgen_compaction

    bin_ = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN")}
    work = out.parent / out.stem
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result: dict[str, Any] = {}
    for key, extra in (("doctor", []), ("live", ["--live"])):
        done = subprocess.run([str(bin_ / "massgen-plugins"), "doctor", "--json", *extra],
                              capture_output=True, text=True, env=env, cwd=work, timeout=600)
        report = json.loads(done.stdout) if done.returncode == 0 else {"seams": []}
        result[key] = {s["name"]: {"status": s["status"], "detail": s["detail"]}
                       for s in report["seams"]}
        result[f"{key}_massgen"] = report.get("massgen", {})
    run = massgen_compaction.run(True, work / "compaction")
    result["compaction"] = {k: run[k] for k in ("exit", "winner", "compact", "summarizer",
                                                "compressions", "last_error")}
    result["warnings"] = [line.removeprefix("massgen-plugins: warning: ")
                          for line in run["bridge_lines"] if ": warning: " in line]
    result["throttle"] = throttle(Path(run["attempt"]), work / "throttle")
    out.write_text(json.dumps(result), encoding="utf-8")


def throttle(attempt: Path, work: Path) -> str:
    """The recorded run replayed at once in `massgen viewer`, tui_throttle on and off."""
    import importlib.metadata as md

    from bench import massgen_tui

    if vt(md.version("massgen")) < FIRST_VIEWER:
        return "n/a: no `massgen viewer` before 0.1.62"
    if not (attempt / "events.jsonl").is_file():
        return "n/a: the run recorded no events.jsonl"
    site = work / "site"
    site.mkdir(parents=True)
    (site / "sitecustomize.py").write_text(
        massgen_tui.SITECUSTOMIZE.format(bench=str(ROOT / "bench")) + COUNT_THROTTLE)
    copy = work / "run"
    shutil.copytree(attempt, copy)
    results, took = {}, {}
    for mode in ("on", "off"):
        folder = work / mode
        folder.mkdir()
        counted = folder / "throttle.json"
        # The viewer inherits it (the bench drops only MASSGEN_* variables).
        os.environ["BENCH_MATRIX_THROTTLE_OUT"] = str(counted)
        try:
            results[mode] = massgen_tui.replay(copy, 1, (120, 40), mode == "on", folder, site)
        except SystemExit as exc:
            return f"FAILED with tui_throttle {mode}: {last_line(str(exc))}"
        took[mode] = json.loads(counted.read_text())["took"] if counted.is_file() else None
    same = (shown(results["on"]) == shown(results["off"])
            and results["on"]["critical"] == results["off"]["critical"])
    events = massgen_tui.events_in(copy)
    verdict = "ok" if same and took["on"] and not took["off"] else "NOT ok"
    return (f"{verdict}: {events} events recorded; tui_throttle took {took['on']} "
            f"(off: {took['off']}); MassGen's timeline adapters got {results['on']['handled']} "
            f"(off: {results['off']['handled']}); final timelines and critical order "
            f"{'the same' if same else 'NOT the same'} on and off")


def shown(result: dict[str, Any]) -> dict[str, list[str]]:
    """Each agent's final timeline, but for the final answer card's body.

    MassGen alone, replaying the same run twice, fills that card with the streamed answer or
    leaves it empty, by timing: it cannot tell the throttle's doing from MassGen's.
    """
    return {agent: [line for line in lines if not line.startswith("FinalPresentationCard:")]
            for agent, lines in result["content"].items()}


# -- every release, from its source -------------------------------------------------------------


def scan_all(cache: Path) -> None:
    """Each release since 0.1.46 from its wheel: seams as doctor checks them; does uv resolve it."""
    from massgen_plugins.bridge.seams import SEAMS as TABLE
    from massgen_plugins.bridge.seams import absent, check_source, variant

    started = time.monotonic()
    listing = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "massgen"],
                             capture_output=True, text=True, check=True).stdout
    found = re.search(r"Available versions: (.*)", listing)
    releases = sorted((v for v in (found.group(1) if found else "").split(", ")
                       if re.fullmatch(r"\d+\.\d+\.\d+", v) and vt(v) >= (0, 1, 46)), key=vt)
    wheels = build_wheels(cache / "ours")
    rows = ["Every MassGen release from 0.1.46, read from its wheel without installing it, "
            "each seam checked as `doctor` checks it (scanned in {took}). "
            "Resolves: `uv pip compile` of `massgen==V` with our four distributions on Python "
            "3.11.", "",
            "| MassGen | " + " | ".join(f"`{s.name}`" for s in TABLE)
            + " | `massgen viewer` | resolves beside ours |",
            "|---" * (3 + len(TABLE)) + "|"]
    for version in releases:
        folder = cache / version
        if not (folder / "massgen").is_dir():
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                                "--only-binary", ":all:", "-d", tmp, f"massgen=={version}"],
                               check=True)
                with zipfile.ZipFile(next(Path(tmp).glob("*.whl"))) as whl:
                    for name in whl.namelist():
                        if name.startswith("massgen/") and name.endswith(".py"):
                            whl.extract(name, folder)
        package = folder / "massgen"
        cells = [version]
        for newest in TABLE:
            seam = variant(newest, package)
            if seam is None:
                cells.append(f"missing: {absent(newest)}")
                continue
            problems = [p for t in seam.targets if (p := check_source(t, package))]
            lacking = [p for t in seam.uses if (p := check_source(t, package))]
            where = "" if seam is newest else f" (as `{seam.trigger}`)"
            cells.append(f"missing: {'; '.join(problems)}" if problems
                         else f"partial: {'; '.join(lacking)}" if lacking else f"ok{where}")
        cells.append("yes" if (package / "viewer.py").is_file() else "no")
        cells.append(resolves(version, wheels, cache))
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        print(version, flush=True)
    took = time.monotonic() - started
    rows[0] = rows[0].replace("{took}", f"{took / 60:.0f} min")
    write_section("releases", "\n".join(rows))


def resolves(version: str, wheels: list[Path], cache: Path) -> str:
    """"yes", or the resolver's last line."""
    ours = [f"{w.name.split('-')[0].replace('_', '-')} @ {w.as_uri()}" for w in wheels]
    req = cache / f"req-{version}.txt"
    req.write_text("\n".join([f"massgen=={version}", *ours]) + "\n")
    done = subprocess.run([str(UV), "pip", "compile", "--quiet", "--python-version", "3.11",
                           str(req), "-o", str(cache / f"lock-{version}.txt")],
                          capture_output=True, text=True)
    return "yes" if done.returncode == 0 else f"no: {last_line(done.stderr)}"


def main() -> None:
    """Run the matrix (or, with --scan-all, the source scan of every release)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", default=list(VERSIONS))
    parser.add_argument("--scan-all", action="store_true")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        inside(args.inside)
    elif args.scan_all:
        scan_all(MATRIX / "scan")
    else:
        matrix(args.versions)


if __name__ == "__main__":
    main()
