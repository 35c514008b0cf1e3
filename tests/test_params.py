"""Numbers and run lists from a shared link are clamped or ignored with a notice, never an error."""
import pytest

from explorer.ui.params import parse_number, parse_run_refs


@pytest.mark.parametrize("raw, expected, noticed", [
    (None, 4.0, False), ("", 4.0, False), ("2.5", 2.5, False), ("abc", 4.0, True), ("nan", 4.0, True),
    ("inf", 4.0, True), ("-inf", 4.0, True), ("1e308", 100.0, True), ("-5", 0.1, True), ("9" * 300, 4.0, True),
])
def test_parse_number(raw, expected, noticed):
    value, notice = parse_number(raw, 0.1, 100.0, 4.0, name="beta")
    assert value == expected and (notice is not None) == noticed


def test_parse_integer_rounds_and_clamps():
    assert parse_number("7.6", 1, 16, 10, integer=True) == (8, "value from the link was clamped to 8 (allowed 1…16)")
    assert parse_number("64", 1, 16, 10, integer=True)[0] == 16


def test_parse_run_refs_keeps_known_drops_unknown():
    known = {"g:a": "A", "g:b": "B"}
    refs, notices = parse_run_refs("g:a,g:zzz,g:b,g:a", known)
    assert refs == ["g:a", "g:b"] and len(notices) == 1 and "g:zzz" in notices[0]
    assert parse_run_refs("x" * 2000, known) == ([], ["ignored an overlong list of runs in the link"])


def test_every_control_bound_to_the_link_is_a_parameter_the_app_knows():
    """A link to Compare's KL section (?section=…) opened it and still said "Ignored link parameter(s) this app does
    not know: 'section'": a bound control's key missing from share.BOUND_PARAMS."""
    import re
    from pathlib import Path

    from explorer.ui.share import BOUND_PARAMS

    ui = Path(__file__).resolve().parents[1] / "explorer" / "ui"
    bound = set()
    for source in ui.glob("*.py"):
        for call in re.findall(r"st\.\w+\((?:[^()]|\([^()]*\))*\)", source.read_text()):
            if 'bind="query-params"' in call:
                bound |= set(re.findall(r'key="([^"]+)"', call))
    assert {"section", "ladderdec", "ladder50"} <= bound
    assert bound <= BOUND_PARAMS
