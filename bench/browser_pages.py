"""A shared link opens in seconds (issue 23): every page, first and second view, in one real browser.

Run: ``python -m bench.browser_pages [--width 1280] [--label TEXT] [--out PATH] [--repo DIR]`` (needs Debian's
chromium). One fresh ``streamlit run app.py`` (of ``--repo``, default this checkout) and one headless Chromium
tab: every page of the navigation in the order a visitor clicks them, timed from ``page.goto`` until the page
has settled; then the Compare page growing from one shipped run to four through its multiselect, and one run
removed; then every page again. Also the server's resident memory (process tree) and the host's load, since
the browser renders on the same cores as the server: on a small box the times are an upper bound.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .app_server import ROOT, process_rss_mb, running_app, tree_rss_mb
from .load import BROWSER_ARGS

#: (url path, a word of the page's title): the navigation's order (explorer/ui/nav.py)
PAGES = [("", "β-VAE"), ("compare", "Compare"), ("ladder", "ladder"), ("pinned", "Pinned"), ("sweep", "Sweep"),
         ("train", "Train"), ("editor", "Slider"), ("about", "About")]
#: the Compare page opens with the first, then each of the others is added through the multiselect
COMPARE_RUNS = ["g:collapse", "g:cure", "g:beta4", "g:recipe-seed0"]
GOALS = {"first": 3.0, "add": 1.0, "second": 1.0, "rss_mb": 600.0}
#: the shipped sweep: every run of it is opened on Compare by its link (issue 23: "within the same bound")
SHIPPED_SWEEP = "beta-spectrum"
DEBOUNCE_S, POLL_S = 0.3, 0.05
PEAK = "peak, sampled every 0.25 s"

#: '' once the page is done, else what it still waits for: connected, no script run, no spinner, loading skeleton
#: or running status (views computed in the background)
#: on screen, every image decoded, the page's title drawn and, for Compare, its runs in the URL. The script state
#: must read notRunning: the status widget appears only after half a second of running, so its absence is no
#: sign of rest; a fragment on a timer (the Train page's progress) flips the state briefly, which the debounce
#: in wait_settled rides out.
SETTLED_JS = """([word, runs]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return 'no app';
  const link = app.getAttribute('data-test-connection-state');
  if (link !== 'CONNECTED') return 'connection ' + link;
  const state = app.getAttribute('data-test-script-state');
  if (state !== 'notRunning') return 'script ' + state;
  const busy = '[data-testid="stSpinner"], [data-testid="stSkeleton"], [data-testid="stExpanderIconSpinner"]';
  if ([...document.querySelectorAll(busy)].some(s => s.getClientRects().length > 0)) return 'spinner or skeleton';
  const images = [...document.querySelectorAll('[data-testid="stImage"] img')];
  const waiting = images.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  if (waiting) return waiting + ' of ' + images.length + ' images';
  const titles = [...document.querySelectorAll('h1')].map(h => h.textContent);
  if (!titles.some(t => t.toLowerCase().includes(word.toLowerCase()))) return 'title ' + JSON.stringify(titles);
  const shown = new URLSearchParams(location.search).get('runs') || '';
  if (runs !== null && shown !== runs) return 'runs=' + shown;
  return '';
}"""


def wait_settled(page, start: float, word: str, runs: str | None, timeout_s: float) -> dict:
    """Seconds from ``start`` to the first moment the page was settled and stayed so for DEBOUNCE_S.

    Polled from Python rather than one wait_for_function, so that a condition that flickers (a fragment
    on a timer) is not counted as done, and a timeout is reported instead of raised.
    """
    first_true, why = None, "not evaluated"
    while True:
        now = time.perf_counter()
        try:
            why = page.evaluate(SETTLED_JS, [word, runs])
        except Exception as exc:  # noqa: BLE001 -- the document is being replaced; not settled yet
            why = f"evaluate: {str(exc).splitlines()[0][:60]}"
        if not why:
            first_true = first_true or now
            if now - first_true >= DEBOUNCE_S:
                break
        else:
            first_true = None
        if now - start > timeout_s:
            return {"seconds": None, "exceptions": exceptions(page), "note": f"timeout after {timeout_s:.0f} s ({why})"}
        time.sleep(POLL_S)
    return {"seconds": first_true - start, "exceptions": exceptions(page), "note": ""}


def exceptions(page) -> int:
    """Streamlit exception boxes on the page: a page that 'opens fast' by failing must not pass unnoticed."""
    try:
        return page.locator('[data-testid="stException"]').count()
    except Exception:  # noqa: BLE001
        return -1


def visit(page, url: str, path: str, word: str, timeout_s: float, runs: str | None = None) -> dict:
    """Open ``url/path`` as a link would (a full page load, so a new Streamlit session) and time it to settled."""
    start = time.perf_counter()
    try:
        page.goto(f"{url}/{path}", timeout=timeout_s * 1000)
    except Exception as exc:  # noqa: BLE001
        return {"seconds": None, "exceptions": exceptions(page), "note": f"goto failed: {str(exc).splitlines()[0]}"}
    return wait_settled(page, start, word, runs, timeout_s)


def add_run(page, label: str, runs: str, timeout_s: float) -> dict:
    """Pick ``label`` in the "Runs to compare" multiselect as a user does: click, type, click the option.
    The clock starts at the option's click (typing is the user's time, not the app's)."""
    box = page.get_by_role("combobox", name="Runs to compare")
    box.click(timeout=30_000)
    box.press_sequentially(label.split(" [")[0][:40], delay=10, timeout=30_000)
    option = page.get_by_role("option", name=label, exact=True)
    option.wait_for(timeout=30_000)
    start = time.perf_counter()
    option.click(timeout=30_000)
    result = wait_settled(page, start, "Compare", runs, timeout_s)
    page.keyboard.press("Escape")  # close the list, as a user would click away
    return result


def remove_run(page, label: str, runs: str, timeout_s: float) -> dict:
    """Click the run's chip's remove button; timed from that click."""
    button = page.get_by_role("button", name=f"Remove {label}", exact=True)
    button.wait_for(timeout=30_000)
    start = time.perf_counter()
    button.click(timeout=30_000)
    return wait_settled(page, start, "Compare", runs, timeout_s)


def compare_steps(page, url: str, labels: dict[str, str], timeout_s: float) -> list[dict]:
    """Compare from one shipped run to four, one at a time, then one removed; the URL where the widget fails."""
    steps = []
    first = COMPARE_RUNS[0]
    r = visit(page, url, f"compare?runs={first}", "Compare", timeout_s, runs=first)
    steps.append({"step": f"open compare?runs={first}", "how": "link", **r})
    chosen = [first]
    for ref in COMPARE_RUNS[1:]:
        chosen.append(ref)
        runs = ",".join(chosen)
        try:
            r, how = add_run(page, labels[ref], runs, timeout_s), "multiselect"
        except Exception as exc:  # noqa: BLE001 -- fall back to the link, and say so
            why = str(exc).splitlines()[0][:100]
            r, how = visit(page, url, f"compare?runs={runs}", "Compare", timeout_s, runs=runs), f"URL (widget: {why})"
        steps.append({"step": f"add {ref} ({len(chosen)} runs)", "how": how, **r})
    gone = COMPARE_RUNS[2]
    chosen.remove(gone)
    runs = ",".join(chosen)
    try:
        r, how = remove_run(page, labels[gone], runs, timeout_s), "chip's remove button"
    except Exception as exc:  # noqa: BLE001
        why = str(exc).splitlines()[0][:100]
        r, how = visit(page, url, f"compare?runs={runs}", "Compare", timeout_s, runs=runs), f"URL (widget: {why})"
    steps.append({"step": f"remove {gone} ({len(chosen)} runs)", "how": how, **r})
    return steps


def sweep_runs(page, url: str, repo: Path, timeout_s: float) -> list[dict]:
    """Every run of the shipped sweep opened on Compare by its link (``compare?runs=s:<sweep>/<key>``), as the
    Sweep page's "Open on Compare" does; [] where the checkout ships no such sweep."""
    folder = repo / "checkpoints" / "sweeps" / SHIPPED_SWEEP
    keys = sorted(p.name for p in folder.iterdir() if (p / "result.json").is_file()) if folder.is_dir() else []
    out = []
    for key in keys:
        ref = f"s:{SHIPPED_SWEEP}/{key}"
        out.append({"run": ref, **visit(page, url, f"compare?runs={ref}", "Compare", timeout_s, runs=ref)})
    return out


def gallery_labels(repo: Path) -> dict[str, str]:
    """The multiselect's option text for each shipped run (explorer/ui/runs.py: title + " [gallery]")."""
    index = json.loads((repo / "checkpoints" / "index.json").read_text())
    return {f"g:{e['name']}": f"{e['title']} [gallery]" for e in index["runs"]}


def git_commit(repo: Path) -> str:
    """The measured code's commit, flagged when its tracked files differ from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=repo).returncode != 0
    return head + (" (plus uncommitted changes)" if dirty else "")


def memory(pid: int) -> tuple[float, float]:
    """(the server process's resident MB, with all its children)."""
    return process_rss_mb(pid), tree_rss_mb(pid)


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) on {len(os.sched_getaffinity(0))} CPUs (nproc)"


def fmt(r: dict | None) -> str:
    if r is None:
        return ""
    return r["note"] if r["seconds"] is None else f"{r['seconds']:.2f}"


def verdict(values: list[float | None], limit: float) -> str:
    """'met' only when every value was measured and is within the limit."""
    if not values:
        return "not measured"
    if any(v is None for v in values):
        return "not met (a timeout)"
    return f"{'met' if max(values) <= limit else 'not met'} (worst {max(values):.2f})"


def report(first: list[dict], second: list[dict], compare: list[dict], rss: dict, load: dict,
           sweep: list[dict] | None = None) -> str:
    """The markdown body: pages, Compare steps, memory and load, each goal beside the figure it judges."""
    lines = ["| page | first view s | second view s | exceptions (first / second) |", "|---|---|---|---|"]
    for (path, _), a, b in zip(PAGES, first, second):
        lines.append(f"| /{path} | {fmt(a)} | {fmt(b)} | {a['exceptions']} / {b['exceptions']} |")
    lines += ["", "| Compare step | how | s | exceptions |", "|---|---|---|---|"]
    lines += [f"| {c['step']} | {c['how']} | {fmt(c)} | {c['exceptions']} |" for c in compare]
    adds = [c["seconds"] for c in compare if c["step"].startswith("add")]
    sweep = sweep or []
    if sweep:
        opened = [r["seconds"] for r in sweep if r["seconds"] is not None and not r["exceptions"]]
        lines += ["", f"Every run of the shipped sweep ({len(sweep)}) opened on Compare by its link: "
                  + (f"median {sorted(opened)[len(opened) // 2]:.2f} s, worst {max(opened):.2f} s; " if opened else "")
                  + f"{len(sweep) - len(opened)} did not open cleanly"
                  + "".join(f"; {r['run']}: {fmt(r)}, {r['exceptions']} exception(s)" for r in sweep
                            if r["seconds"] is None or r["exceptions"])]
    lines += ["", "| resident memory | server process MB | with its children MB (the model process, views children) |",
              "|---|---|---|"]
    lines += [f"| {k} | {v[0]:.0f} | {v[1]:.0f} |" for k, v in rss.items()]
    lines += ["", f"Load at start: {load['start']}  ", f"Load at end: {load['end']}", "", "Goals (issue 23):", "",
              f"- every first view ≤ {GOALS['first']:g} s: {verdict([r['seconds'] for r in first], GOALS['first'])}",
              f"- adding a shipped run ≤ {GOALS['add']:g} s: {verdict(adds, GOALS['add'])}",
              f"- second views ≤ {GOALS['second']:g} s: {verdict([r['seconds'] for r in second], GOALS['second'])}",
              f"- server RSS without a training ≤ {GOALS['rss_mb']:g} MB (the server process's sampled peak; the model "
              f"process beside it holds torch while the editor is in use and exits after "
              f"EXPLORER_MODEL_IDLE_SECONDS idle): {verdict([rss[PEAK][0]] if PEAK in rss else [], GOALS['rss_mb'])}"]
    if sweep:
        lines.append(f"- every shipped sweep run opens on Compare ≤ {GOALS['first']:g} s: "
                     f"{verdict([None if r['exceptions'] else r['seconds'] for r in sweep], GOALS['first'])}")
    return "\n".join(lines)


def measure(repo: Path, width: int, timeout_s: float, log=print, sweeps: bool = True) -> tuple[str, dict]:
    """One fresh server, one browser tab: first views, Compare, second views; returns (markdown body, raw)."""
    from playwright.sync_api import sync_playwright

    load = {"start": load_line()}
    labels = gallery_labels(repo)
    rss: dict[str, float] = {}
    with running_app(cwd=repo) as app, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000})
            first = []
            for path, word in PAGES:
                if path == "editor":  # the editor encodes and decodes in the model process: the pages before it only show
                    rss["before the editor (it starts the model process)"] = memory(app.pid)
                first.append(visit(page, app.url, path, word, timeout_s))
                log(f"first /{path}: {first[-1]}")
            rss["after first views"] = memory(app.pid)
            compare = compare_steps(page, app.url, labels, timeout_s)
            for c in compare:
                log(f"compare {c}")
            rss["after Compare"] = memory(app.pid)
            second = []
            for path, word in PAGES:
                second.append(visit(page, app.url, path, word, timeout_s))
                log(f"second /{path}: {second[-1]}")
            rss["after second views"] = memory(app.pid)
            sweep = sweep_runs(page, app.url, repo, timeout_s) if sweeps else []
            for r in sweep:
                log(f"sweep {r}")
            rss["at the end"] = memory(app.pid)
        finally:
            browser.close()
        app.sample_tree()
        rss[PEAK] = (app.server_peak_mb, app.tree_peak_mb)
    load["end"] = load_line()
    raw = {"first": first, "second": second, "compare": compare, "rss": rss, "load": load, "sweep": sweep}
    return report(first, second, compare, rss, load, sweep), raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1280, help="browser viewport width (height 1000)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "browser_pages.md")
    parser.add_argument("--label", default="", help="what is measured (e.g. 'before', a branch's name)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout whose app.py is served")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a page counts as timed out")
    parser.add_argument("--no-sweep", action="store_true", help="skip opening every shipped sweep run on Compare")
    args = parser.parse_args(argv)
    if shutil.which("chromium") is None:
        print("Debian's chromium is not installed (apt-get install -y chromium)", file=sys.stderr)
        return 2
    repo = args.repo.resolve()
    command = shlex.join(["python", "-m", "bench.browser_pages", *(sys.argv[1:] if argv is None else argv)])
    commit = git_commit(repo)
    body, _ = measure(repo, args.width, args.timeout, log=lambda s: print(s, flush=True), sweeps=not args.no_sweep)
    from .common import machine

    stamp = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    text = (f"# Browser: every page, first and second view\n\n`{command}`  \ncode measured: {commit} ({repo})  \n"
            f"label: {args.label or '-'}  \n{stamp}  \n{machine()}  \nviewport {args.width}×1000, headless Chromium "
            f"on the same machine as the server\n\n{body}\n")
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
