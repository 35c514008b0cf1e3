"""MIG speed: vectorised ``mig`` against the sklearn double loop ``mig_reference``.

Run: ``python -m bench.mig_speed [--n 100000 --repeats 3] [--with-gbt]``. Prints a markdown
table and writes it, with date and machine, to bench/results/mig_speed.md. DCI and SAP on
10k codes are timed once each as informational rows (DCI's default gradient-boosted trees
take minutes there, so they run only with ``--with-gbt``).
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from explorer.metrics import dci, mig, sap
from tests.oracles import aligned_codes, mig_reference, sample_factors

from .common import publish, to_markdown

#: dSprites' five scored factors: shape, scale, orientation, posX, posY.
FACTOR_SIZES = (3, 6, 40, 32, 32)
N_LATENTS = 10
TARGET_SPEEDUP = 20.0


def _codes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """dSprites-like factors and 10 latents: 5 noisy factor latents (noise 0.5) + 5 noise."""
    rng = np.random.default_rng(seed)
    factors = sample_factors(n, FACTOR_SIZES, rng)
    codes = aligned_codes(factors, FACTOR_SIZES, rng, noise=0.5,
                          n_noise_dims=N_LATENTS - len(FACTOR_SIZES))
    return codes[:, rng.permutation(N_LATENTS)], factors


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(n: int = 100_000, repeats: int = 3, n_extra: int = 10_000, with_gbt: bool = False,
        extras: bool = True, seed: int = 0) -> list[dict]:
    """Benchmark rows: ``figure``, ``value`` (str), ``anchor`` (str) and ``ratio`` (float or None)."""
    codes, factors = _codes(n, seed)
    mig(codes[:1000], factors[:1000])                      # warm imports and caches
    t_fast, fast = _median_time(lambda: mig(codes, factors), repeats)
    t_ref, ref = _median_time(lambda: mig_reference(codes, factors), repeats)
    diff = max(abs(fast["mig"] - ref["mig"]), float(np.abs(fast["mi"] - ref["mi"]).max()))
    if diff > 1e-9:
        raise AssertionError(f"mig and mig_reference disagree by {diff:.3g}")
    rows = [
        {"figure": f"mig, vectorised (N={n:,}, D={N_LATENTS}, K={len(FACTOR_SIZES)}), median of {repeats}",
         "value": f"{t_fast * 1e3:.1f} ms", "anchor": f"mig_reference {t_ref * 1e3:.1f} ms",
         "ratio": t_ref / t_fast},
        {"figure": "speed-up target", "value": f"{t_ref / t_fast:.1f}x",
         "anchor": f">= {TARGET_SPEEDUP:.0f}x", "ratio": (t_ref / t_fast) / TARGET_SPEEDUP},
        {"figure": "max abs difference mig vs mig_reference (MIG and MI matrix)", "value": f"{diff:.1e}",
         "anchor": "1e-9", "ratio": None},
        {"figure": "MIG value", "value": f"{fast['mig']:.4f}", "anchor": "same for both", "ratio": None},
    ]
    if extras:
        small_codes, small_factors = codes[:n_extra], factors[:n_extra]
        label = f"N={len(small_codes):,}, 2/3 train"
        models = ["rf", "lasso"] + (["gbt"] if with_gbt else [])
        for model in models:
            t = _once(lambda: dci(small_codes, small_factors, model=model))
            rows.append({"figure": f"dci model={model} ({label})", "value": f"{t:.2f} s",
                         "anchor": "informational", "ratio": None})
        t = _once(lambda: sap(small_codes, small_factors))
        rows.append({"figure": f"sap ({label})", "value": f"{t:.2f} s",
                     "anchor": "informational", "ratio": None})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="codes for the MIG timing")
    parser.add_argument("--repeats", type=int, default=3, help="timings per MIG variant (median)")
    parser.add_argument("--n-extra", type=int, default=10_000, help="codes for the DCI/SAP rows")
    parser.add_argument("--with-gbt", action="store_true", help="also time DCI's default GBT (minutes)")
    parser.add_argument("--no-extras", action="store_true", help="skip the DCI/SAP rows")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/mig_speed.md")
    args = parser.parse_args(argv)
    rows = run(n=args.n, repeats=max(1, args.repeats), n_extra=args.n_extra,
               with_gbt=args.with_gbt, extras=not args.no_extras)
    table = to_markdown(rows)
    print(table)
    if not args.no_write:
        publish("mig_speed", "MIG speed", "bench.mig_speed", argv, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
