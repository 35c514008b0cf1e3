"""Does the app train as fast as the engine? One configuration, trained by the CLI and through the app.

Run: ``python -m bench.app_speed [--steps 800] [--repeats 2] [--modes process,thread]``
(needs Debian's chromium).
Each repeat trains the recipe (β = 4) for ``--steps`` steps twice, one after the other: once with
``python -m explorer train`` in a process of its own, once by pressing Train on the app's Train
page with one browser watching the progress panel until it says Finished. Both report the
trainer's own clock (steps / seconds of the training loop, history points included, final
evaluation excluded); legs alternate so a change in the host's load hits both. The CLI leg records
history points as the Train page does for that budget (``explorer.ui.train_presets.pacing``: about ten
points on a smaller sample below 2,000 steps, the CLI's own 200-step pacing from there on), so both legs
do the same work and the ratio is the app's own cost: its process, its server and the watching browser.
``--cli-pacing own`` keeps the CLI's defaults instead, to see what the page's denser curves cost. Both legs
compute with the run's default thread count (``--threads 1``).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from .app_server import running_app
from .common import cli_training, publish, row, to_markdown
from .load import BROWSER_ARGS

APP_PACE = re.compile(r"([\d,]+) steps .*\(([\d.]+) steps/s while training\)")


def page_pacing(steps: int) -> list[str]:
    """The CLI flags that record history points as the Train page does for ``steps``."""
    from explorer.config import TrainConfig
    from explorer.ui.train_presets import pacing

    log_every, eval_samples = pacing(steps, TrainConfig().log_every, TrainConfig().eval_samples)
    return ["--log-every", str(log_every), "--eval-samples", str(eval_samples)]


def cli_leg(steps: int, seed: int, flags: list[str] = ()) -> float:
    """Steps per second of ``python -m explorer train`` (its own process, torch's default threads)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-m", "explorer", "train", "--beta", "4", "--steps", str(steps),
                              "--seed", str(seed), "--out", os.path.join(tmp, "run.pt"), *flags],
                             capture_output=True, text=True, check=True).stdout
    steps_done, seconds = cli_training(out)
    return steps_done / seconds


def app_leg(url: str, steps: int, seed: int, timeout_s: float) -> float:
    """Steps per second of the same run trained through the app while a browser watches it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{url}/train?steps={steps}&seed={seed}&beta=4.0")
            page.get_by_role("button", name="Train", exact=True).click(timeout=timeout_s * 1000)
            done = page.get_by_text(re.compile(r"^Finished: run")).first
            done.wait_for(timeout=timeout_s * 1000)
            text = done.inner_text()
        finally:
            browser.close()
    m = APP_PACE.search(text)
    if m is None:
        raise RuntimeError(f"the Train page did not report its pace: {text!r}")
    return float(m.group(2))


def run(steps: int, repeats: int, seed: int, modes: list[str], cli_pacing: str = "page",
        log=print) -> tuple[list[dict], list[str]]:
    """For each server setting of EXPLORER_TRAIN_IN: ``repeats`` pairs of (CLI, app) runs, alternating; the CLI
    records history as the page does unless ``cli_pacing`` is "own"."""
    flags = page_pacing(steps) if cli_pacing == "page" else []
    cli_command = " ".join(["python -m explorer train --beta 4 --steps", str(steps), *flags])
    rows, lines = [], []
    for mode in modes:
        pairs = []
        with running_app(env={"EXPLORER_TRAIN_IN": mode}) as app:
            app_leg(app.url, 100, seed + 1, 600)  # warm-up: the server's imports and first page, not measured
            for i in range(repeats):
                cli = cli_leg(steps, seed, flags)
                web = app_leg(app.url, steps, seed + 10 * (i + 1), 1200)  # a new seed: the app reuses finished runs
                log(f"{mode}, repeat {i + 1}: CLI {cli:.1f} steps/s, app {web:.1f} steps/s ({web / cli:.0%})")
                pairs.append((cli, web))
            memory = (app.peak_rss_mb(), app.tree_peak_mb)
        ratio = statistics.median(w / c for c, w in pairs)
        label = f"training in a {mode}"
        rows += [
            row(f"{label}: CLI", f"{statistics.median(c for c, _ in pairs):.1f} steps/s",
                f"median of {repeats}, `{cli_command}`"),
            row(f"{label}: app, one browser watching", f"{statistics.median(w for _, w in pairs):.1f} steps/s",
                f"median of {repeats}, the Train page with the same settings"),
            row(f"{label}: app / CLI", f"{ratio:.0%}", "median of the per-repeat ratios (target ≥ 80 %)", ratio),
        ]
        lines.append(f"{label}: per repeat (CLI, app) steps/s: " + ", ".join(f"({c:.1f}, {w:.1f})" for c, w in pairs)
                     + f"; peak memory: server {memory[0]:.0f} MB, server with its training processes "
                       f"{memory[1]:.0f} MB (sampled every 0.25 s)")
    return rows, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800, choices=(400, 800, 1600, 3200))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--modes", default="process,thread", help="server settings of EXPLORER_TRAIN_IN to measure")
    parser.add_argument("--cli-pacing", choices=("page", "own"), default="page",
                        help="page: the CLI records history points as the Train page does (the same work); own: the CLI's defaults")
    args = parser.parse_args(argv)
    if shutil.which("chromium") is None:
        print("needs Debian's chromium (apt-get install -y chromium)")
        return 2
    load = os.getloadavg()[0]
    rows, lines = run(args.steps, args.repeats, args.seed, args.modes.split(","), args.cli_pacing)
    body = f"Load average at the start: {load:.2f}.\n\n" + to_markdown(rows) + "\n\n" + "  \n".join(lines)
    publish("app_speed", "Training in the app against the CLI", "bench.app_speed", argv, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
