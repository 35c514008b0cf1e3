"""bench.browser_pages' report on synthetic numbers: each goal judged met / not met, timeouts never count as met."""
from bench.browser_pages import PAGES, PEAK, report, verdict


def _r(seconds, exceptions=0):
    return {"seconds": seconds, "exceptions": exceptions, "note": "" if seconds is not None else "timeout after 300 s"}


def test_verdict_needs_every_value_within_the_limit():
    assert verdict([0.5, 1.0], 1.0) == "met (worst 1.00)"
    assert verdict([0.5, 1.2], 1.0) == "not met (worst 1.20)"
    assert verdict([0.5, None], 1.0) == "not met (a timeout)"
    assert verdict([], 1.0) == "not measured"


def test_report_lists_every_page_and_judges_each_goal():
    first = [_r(2.0) for _ in PAGES]
    first[2] = _r(None)
    second = [_r(0.5, exceptions=1 if i == 6 else 0) for i in range(len(PAGES))]
    compare = [{"step": "open compare?runs=g:collapse", "how": "link", **_r(1.5)},
               {"step": "add g:cure (2 runs)", "how": "multiselect", **_r(0.8)}]
    rss = {"after first views": (500.0, 520.0), "peak, sampled every 0.25 s": (650.0, 1400.0)}
    text = report(first, second, compare, rss, {"start": "0.1", "end": "0.2"})
    assert all(f"| /{path} |" in text for path, _ in PAGES)
    assert "| /ladder | timeout after 300 s | 0.50 | 0 / 0 |" in text
    assert "| /editor | 2.00 | 0.50 | 0 / 1 |" in text
    assert "every first view ≤ 3 s: not met (a timeout)" in text
    assert "adding a shipped run ≤ 1 s: met (worst 0.80)" in text
    assert "second views ≤ 1 s: met (worst 0.50)" in text
    assert "| after first views | 500 | 520 |" in text
    assert "exits after EXPLORER_MODEL_IDLE_SECONDS idle): not met (worst 650.00)" in text  # the server's own peak
    rss[PEAK] = (550.0, 1400.0)  # a model process beside a small server: the server is judged, the tree shown
    assert "idle): met (worst 550.00)" in report(first, second, compare, rss, {"start": "0.1", "end": "0.2"})


def test_a_sweep_run_that_opened_with_an_exception_does_not_count_as_opened():
    page = [_r(1.0) for _ in PAGES]
    sweep = [{"run": "s:beta-spectrum/a", **_r(0.7)}, {"run": "s:beta-spectrum/b", **_r(0.9, exceptions=1)}]
    text = report(page, page, [], {}, {"start": "0.1", "end": "0.2"}, sweep)
    assert "Every run of the shipped sweep (2) opened on Compare by its link: median 0.70 s, worst 0.70 s; 1 did not" in text
    assert "s:beta-spectrum/b: 0.90, 1 exception(s)" in text
    assert "every shipped sweep run opens on Compare ≤ 3 s: not met (a timeout)" in text
