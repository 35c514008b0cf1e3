"""The one training function: history, determinism, budgets, stopping and divergence."""
import math

import numpy as np
import pytest
import torch

from explorer.trainer import train
from helpers import tiny_config


def test_history_records_every_log_point_with_raw_kl():
    run = train(tiny_config(steps=6))
    h = run.history
    assert run.status == "completed"
    assert h["step"] == [0, 3, 6]
    assert h["images"] == [0, 24, 48]
    assert all(len(v) == 3 for v in h.values())
    assert h["recon"][0] is None and all(r > 0 for r in h["recon"][1:])  # step 0 has no training batch yet
    assert all(len(d) == 3 for d in h["kl_per_dim"][1:])
    assert h["kl"][-1] == pytest.approx(sum(h["kl_per_dim"][-1]))
    assert h["kl_weight"][-1] == 4.0
    assert all(0 <= au <= 3 for au in h["active_units"]) and all(m is not None for m in h["mig"])
    for key in ("mig", "active_units", "kl", "kl_per_dim", "recon", "mi"):
        assert key in run.metrics


def test_same_seed_same_run_different_seed_different_run():
    a, b = train(tiny_config(), final_eval=False), train(tiny_config(), final_eval=False)
    assert a.history["loss"] == b.history["loss"]
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(va, vb), k
    c = tiny_config()
    c.train.seed = 1
    assert train(c, final_eval=False).history["loss"] != a.history["loss"]


def test_seconds_budget_stops_on_time():
    cfg = tiny_config()
    cfg.train.steps, cfg.train.seconds = None, 0.5
    run = train(cfg, final_eval=False)
    assert run.status == "completed" and run.metrics["steps"] >= 1
    assert 0.5 <= run.metrics["seconds"] < 5


def test_stop_callback_cancels_between_steps():
    calls = {"n": 0}

    def stop():
        calls["n"] += 1
        return calls["n"] > 4

    run = train(tiny_config(steps=1000), stop=stop, final_eval=False)
    assert run.status == "cancelled" and run.metrics["steps"] == 4
    assert run.history["step"][-1] == 4  # the steps since the last log point are recorded


def test_progress_callback_sees_fractions_up_to_one():
    seen = []
    train(tiny_config(steps=6), on_progress=lambda run, f: seen.append((run.last("step"), f)), final_eval=False)
    assert seen == [(0, 0.0), (3, 0.5), (6, 1.0)]


def test_schedule_weight_is_recorded():
    run = train(tiny_config(steps=6, schedule="linear", warmup_fraction=1.0, beta=2.0), final_eval=False)
    weights = run.history["kl_weight"][1:]
    assert weights[0] < weights[1] <= 2.0


@pytest.mark.parametrize("lr", [1e30])
def test_divergence_stops_with_a_reason_and_keeps_finite_weights(lr):
    cfg = tiny_config(steps=50)
    cfg.train.lr = lr
    run = train(cfg, final_eval=False)
    assert run.status == "diverged" and "non-finite" in run.reason
    assert all(torch.isfinite(p).all() for p in run.model.parameters())


def test_autoregressive_decoder_trains():
    run = train(tiny_config("pixelcnn1", steps=3), final_eval=False)
    assert run.status == "completed" and np.isfinite(run.history["loss"][-1])


def test_invalid_config_is_refused_with_one_line():
    cfg = tiny_config()
    cfg.objective.beta = math.nan
    with pytest.raises(ValueError, match="beta"):
        train(cfg)


def test_learning_rate_decays_to_zero_over_the_end_of_the_run():
    cfg = tiny_config(steps=6)
    cfg.train.lr_decay_start = 0.5
    run = train(cfg, final_eval=False)
    lrs = run.history["lr"][1:]  # the lr of the last step before each log point
    assert lrs[0] == pytest.approx(cfg.train.lr)  # step 3 of 6: progress 2/6 < 0.5
    assert lrs[1] == pytest.approx(cfg.train.lr * (1 - 5 / 6) / 0.5)  # step 6 ran at progress 5/6
    constant_cfg = tiny_config(steps=6)
    constant_cfg.train.lr_decay_start = 1.0
    constant = train(constant_cfg, final_eval=False)
    assert constant.history["lr"][1:] == [cfg.train.lr] * 2
    assert constant.history["loss"][1] == run.history["loss"][1]  # identical until the decay begins


def test_step_callback_sees_every_step_and_each_phase():
    seen = []
    train(tiny_config(steps=6), on_step=lambda step, fraction, phase: seen.append((step, fraction, phase)))
    assert seen[0] == (0, 0.0, "preparing") and seen[-1][2] == "evaluating"
    training = [(s, f) for s, f, p in seen if p == "training"]
    assert [s for s, _ in training] == [0, 1, 2, 3, 4, 5, 6]  # every step, no history row needed
    fractions = [f for _, f in training]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0


def test_step_callback_with_a_seconds_budget_reports_rising_fractions():
    cfg = tiny_config()
    cfg.train.steps, cfg.train.seconds = None, 0.3
    seen = []
    run = train(cfg, on_step=lambda step, fraction, phase: seen.append((step, fraction)), final_eval=False)
    assert [s for s, _ in seen[2:]] == list(range(1, run.metrics["steps"] + 1))  # after preparing and step 0
    assert [f for _, f in seen] == sorted(f for _, f in seen) and seen[-1][1] == 1.0


def test_step_callback_changes_nothing_the_old_callback_sees_or_the_weights():
    old, both = [], []
    a = train(tiny_config(steps=6), on_progress=lambda run, f: old.append((run.last("step"), f)), final_eval=False)
    b = train(tiny_config(steps=6), on_progress=lambda run, f: both.append((run.last("step"), f)),
              on_step=lambda *_: None, final_eval=False)
    assert old == both == [(0, 0.0), (3, 0.5), (6, 1.0)]
    assert a.history["loss"] == b.history["loss"]
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(va, vb), k


def _weights(run):
    return {k: v.clone() for k, v in run.model.state_dict().items()}


def test_two_trainings_at_once_give_the_weights_each_gives_alone():
    """Each training draws its noise from a generator of its own: running beside another changes nothing."""
    import threading

    configs = [tiny_config(steps=12), tiny_config(steps=12, beta=1.0)]
    configs[1].train.seed = 5
    alone = [_weights(train(c, final_eval=False)) for c in configs]
    together = [None, None]
    start = threading.Barrier(2)

    def work(i):
        start.wait()
        together[i] = _weights(train(configs[i], final_eval=False))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(alone, together):
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_default_run_is_a_step_budget_and_repeats_bit_for_bit():
    """The default budget is steps, so the same settings (and thread count) train the same weights, every time."""
    from dataclasses import replace

    from explorer.config import RunConfig

    default = RunConfig()
    assert default.train.steps is not None and default.train.seconds is None
    short = replace(default, train=replace(default.train, steps=5, eval_samples=64, log_every=5))
    first, second = _weights(train(short, final_eval=False)), _weights(train(short, final_eval=False))
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_history_splits_the_evaluation_kl_three_ways():
    config = tiny_config(steps=6)
    config.train.eval_samples = 1000
    run = train(config)
    h = run.history
    for i in range(len(h["step"])):
        parts = h["index_code_mi"][i] + h["total_correlation"][i] + h["dimwise_kl"][i]
        # the three Monte Carlo terms estimate the exact KL of the same evaluation sample
        assert parts == pytest.approx(h["eval_kl"][i], abs=0.05 + 0.05 * h["eval_kl"][i])
    assert "total_correlation" in run.metrics


def test_a_beta_tcvae_trains_and_differs_from_the_beta_vae_it_extends():
    plain, tc = train(tiny_config(steps=6), final_eval=False), train(tiny_config(steps=6, tc_weight=5.0), final_eval=False)
    assert tc.status == "completed" and all(math.isfinite(v) for v in tc.history["loss"][1:])
    assert tc.history["loss"] != plain.history["loss"]
    assert tc.history["kl_weight"] == plain.history["kl_weight"]


def test_the_trainer_gives_the_warmup_its_floor_in_steps():
    # step 3 of 6 is the last step of the first interval, at progress 2/6 (the weight is set before the step)
    plain = train(tiny_config(steps=6, warmup_fraction=0.1), final_eval=False)
    floored = train(tiny_config(steps=6, warmup_fraction=0.1, warmup_steps=6), final_eval=False)
    assert plain.history["kl_weight"][1] == pytest.approx(4.0)            # 10 % of 6 steps: done at once
    assert floored.history["kl_weight"][1] == pytest.approx(4.0 * 2 / 6)  # ramping over all 6 steps


def test_the_optimizer_steps_as_the_one_tensor_at_a_time_adam_does(monkeypatch):
    """The trainer's Adam runs over all weights at once; the weights must be those of the plain loop, bit for bit
    (saved runs, shipped checkpoints and the reproducibility promise were trained with the loop)."""
    fast = train(tiny_config(steps=12), final_eval=False)
    plain = torch.optim.Adam
    monkeypatch.setattr(torch.optim, "Adam", lambda params, **kw: plain(params, **{**kw, "foreach": False}))
    loop = train(tiny_config(steps=12), final_eval=False)
    for (k, a), b in zip(fast.model.state_dict().items(), loop.model.state_dict().values()):
        assert torch.equal(a, b), k


def test_the_weight_check_tells_finite_from_non_finite():
    from explorer.trainer import _all_finite

    w = [torch.ones(3, 3), torch.zeros(4)]
    assert _all_finite(w)
    for bad in (math.inf, -math.inf, math.nan):
        broken = [w[0], torch.tensor([0.0, bad, 1.0, 2.0])]
        assert not _all_finite(broken)
    huge = [torch.full((8,), 3e38)]  # finite, but its norm is not: the element-wise check decides
    assert not math.isfinite(torch.linalg.vector_norm(huge[0]).item()) and _all_finite(huge)
