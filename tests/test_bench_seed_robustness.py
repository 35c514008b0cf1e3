"""bench.seed_robustness's seed lists and its verdict on synthetic rows: failures are counted against the floor,
a partial set of seeds says so, and tuning seeds are never called held out."""
from bench.seed_robustness import HELD_OUT, TUNING, agreement, parse_seeds, table


def _row(seed, mig):
    return {"seed": seed, "mig": mig, "gaps": {"posX": 0.6}, "steps": 3200, "seconds": 100.0}


def test_seed_lists_parse_and_the_held_out_seeds_are_not_the_tuning_ones():
    assert parse_seeds("7000-7003,7010") == [7000, 7001, 7002, 7003, 7010]
    assert len(HELD_OUT) == 20 and not set(HELD_OUT) & set(TUNING)


def test_the_verdict_counts_seeds_below_the_floor_and_names_partial_sets():
    rows = [_row(7000 + i, 0.40) for i in range(19)] + [_row(7019, 0.18)]
    text = table("cli", rows, held_out=True)
    assert "20 held-out seeds" in text and "below 0.25: **1 of 20**" in text and "): met." in text
    assert "| 7019 | 0.180 **(< 0.25)** |" in text
    two = table("cli", rows[:-3] + [_row(7017, 0.2), _row(7018, 0.2)], held_out=True)
    assert "**2 of 19**" in two and "not met on the seeds done so far" in two
    assert "tuning seeds" in table("sweep", [_row(8000, 0.4)], held_out=False)


def test_the_report_counts_the_seeds_where_train_and_a_sweep_scored_the_very_same_mig():
    rows = [{"path": "cli", **_row(7000, 0.4)}, {"path": "sweep", **_row(7000, 0.4)},
            {"path": "cli", **_row(7001, 0.4)}, {"path": "sweep", **_row(7001, 0.4 + 1e-12)},
            {"path": "cli-2", **_row(7002, 0.3)}, {"path": "sweep", **_row(7002, 0.3)}]
    text = agreement(rows)
    assert "**1 of 2**" in text and "(differing: 7001)" in text
