"""K browser sessions at once against one app server: load → train a tiny run → view it.

Run: ``python -m bench.load [--sessions 1,4,8] [--cap 2] [--seconds 10]`` (needs Debian's chromium).
Each K starts a fresh server on loopback with at most ``--cap`` concurrent trainings, opens K
browser contexts (separate sessions, as K people with the shared link would be) and, all at
once, each one: opens the Train page with its own seed in the link, presses Train, and then
either waits for its run to finish and opens it on the Compare page, or, when the server says
it is busy, opens a gallery run instead. Reported per K: sessions that trained to the end,
sessions refused with the busy message, errors (a timeout, a Streamlit exception box, a
finished view showing someone else's run), p50/p95 time to first render (navigation start to
the Train page's controls on screen, after one warm-up view that pays the server's imports)
and the server's peak memory. The browsers run on the same machine as the server, so on a
small box their rendering competes with it: the times are an upper bound for remote users.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import sys
import time
from urllib.parse import parse_qs, urlsplit

from .app_server import running_app
from .common import publish, row, to_markdown

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]
BUSY_TEXT = "The server is busy"


async def one_session(browser, url: str, index: int, seconds: int, timeout_s: float) -> dict:
    """Drive one session through load → train → view; never raises, reports what happened."""
    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await context.new_page()
    result = {"session": index, "outcome": "error", "ttfr": None, "total": None, "detail": ""}
    ms = timeout_s * 1000
    try:
        start = time.perf_counter()
        await page.goto(f"{url}/train?seconds={seconds}&decoder=conv&z=4&seed={1000 + index}")
        train_button = page.get_by_role("button", name="Train", exact=True)
        await train_button.wait_for(timeout=ms)
        result["ttfr"] = time.perf_counter() - start
        await page.get_by_text("Share this view").wait_for(timeout=ms)  # drawn after the link-values notice
        if await page.get_by_text("do not offer").count():
            raise AssertionError("the link's settings were not all taken (see the sidebar notice)")
        await train_button.click()
        started = page.get_by_text("Training…").first
        busy = page.get_by_text(BUSY_TEXT).first
        await started.or_(busy).wait_for(timeout=ms)
        if await busy.is_visible():
            result["outcome"] = "refused"
            await page.goto(f"{url}/compare?runs=g:beta4")  # what a refused user can still do: look at the gallery
            await page.locator('[data-testid="stImage"] img').first.wait_for(timeout=ms)
        else:
            await page.get_by_text("Finished").first.wait_for(timeout=ms + seconds * 1000)
            job = parse_qs(urlsplit(page.url).query).get("job", [""])[0]
            await page.get_by_text("Compare this run").click()
            await page.locator('[data-testid="stImage"] img').first.wait_for(timeout=ms)
            shown = await page.locator('[data-testid="stMultiSelect"]').inner_text()
            if not job or job not in shown:
                raise AssertionError(f"the Compare page shows {shown[:80]!r}, not this session's run {job!r}")
            result["outcome"], result["job"] = "completed", job
        if await page.locator('[data-testid="stException"]').count():
            raise AssertionError("a Streamlit exception box is on the page")
        result["total"] = time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 -- a load test reports failures, it does not stop at the first
        result["outcome"], result["detail"] = "error", f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    finally:
        await context.close()
    return result


async def warm_up(browser, url: str, timeout_s: float) -> float:
    """Seconds for the server's first page view (imports torch, loads the gallery); not part of the K figures."""
    context = await browser.new_context()
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(f"{url}/train")
    await page.get_by_role("button", name="Train", exact=True).wait_for(timeout=timeout_s * 1000)
    elapsed = time.perf_counter() - start
    await context.close()
    return elapsed


async def drive(url: str, sessions: int, seconds: int, timeout_s: float) -> tuple[float, list[dict]]:
    """(cold first render, per-session results): one browser, one context per session, all started together."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=BROWSER_ARGS)
        try:
            cold = await warm_up(browser, url, timeout_s)
            tasks = (one_session(browser, url, i, seconds, timeout_s) for i in range(sessions))
            return cold, list(await asyncio.gather(*tasks))
        finally:
            await browser.close()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: with 4 sessions p95 is the slowest one)."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


def summarise(results: list[dict]) -> dict:
    ttfr = [r["ttfr"] for r in results if r["ttfr"] is not None]
    jobs = [r["job"] for r in results if r.get("job")]
    return {
        "sessions": len(results),
        "completed": sum(r["outcome"] == "completed" for r in results),
        "refused": sum(r["outcome"] == "refused" for r in results),
        "errors": sum(r["outcome"] == "error" for r in results),
        "distinct_runs": len(set(jobs)) == len(jobs),
        "ttfr_p50": statistics.median(ttfr) if ttfr else None,
        "ttfr_p95": percentile(ttfr, 0.95) if ttfr else None,
        "details": [r["detail"] for r in results if r["detail"]],
        "session_seconds": {outcome: {"median": round(statistics.median(t), 1), "max": round(max(t), 1)}
                            for outcome in ("completed", "refused")
                            if (t := [r["total"] for r in results if r["outcome"] == outcome and r["total"] is not None])},
    }


def run(sessions: list[int], cap: int, seconds: int, timeout_s: float = 120.0, log=print) -> tuple[list[dict], list[dict]]:
    rows, summaries = [], []
    for k in sessions:
        with running_app(env={"EXPLORER_MAX_TRAININGS": str(cap)}) as app:
            cpu_before, wall_before = app.cpu_seconds(), time.perf_counter()
            cold, results = asyncio.run(drive(app.url, k, seconds, timeout_s))
            s = summarise(results)
            s["k"], s["cold_first_render"], s["server_peak_rss_mb"] = k, cold, app.peak_rss_mb()
            s["tree_peak_rss_mb"] = app.tree_peak_mb
            s["wall_seconds"] = time.perf_counter() - wall_before
            s["server_cpu_seconds"] = app.cpu_seconds() - cpu_before
        summaries.append(s)
        log(f"K={k}: {s}")
        rows.append(row(
            f"K = {k} concurrent sessions (cap {cap}, {seconds} s runs): completed / refused busy / errors",
            f"{s['completed']} / {s['refused']} / {s['errors']}",
            f"TTFR p50 {s['ttfr_p50']:.2f} s, p95 {s['ttfr_p95']:.2f} s (server's cold first view {cold:.1f} s); "
            f"server peak RSS {s['server_peak_rss_mb']:.0f} MB (with its training processes, sampled every 0.25 s: "
            f"{s['tree_peak_rss_mb']:.0f} MB); server CPU {s['server_cpu_seconds']:.0f} s "
            f"of {(os.cpu_count() or 1) * s['wall_seconds']:.0f} core-s in {s['wall_seconds']:.0f} s"
            if s["ttfr_p50"] is not None else "no session rendered"))
    return rows, summaries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,4,8", help="comma-separated K values")
    parser.add_argument("--cap", type=int, default=2, help="EXPLORER_MAX_TRAININGS for the server")
    parser.add_argument("--seconds", type=int, default=10, help="training budget of each session's run (10…300, a multiple of 10)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds any one step may take")
    args = parser.parse_args(argv)
    if shutil.which("chromium") is None:
        print("bench.load needs Debian's chromium (apt-get install -y chromium)", file=sys.stderr)
        return 2
    rows, summaries = run([int(k) for k in args.sessions.split(",")], args.cap, args.seconds, args.timeout)
    table = to_markdown(rows)
    print(table)
    errors = [d for s in summaries for d in s["details"]]
    body = table + ("\n\nErrors:\n\n" + "\n".join(f"- {e}" for e in errors) if errors else "\n\nNo errors.")
    publish("load", "Concurrent browser sessions", "bench.load", argv, body)
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
