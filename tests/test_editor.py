"""The slider editor: default run, data-driven slider ranges, and links that reopen the same edit.

Page tests drive the page headless with AppTest on a two-run tiny gallery; the link format is
tested as pure functions (explorer.ui.editor_link).
"""
import io
from dataclasses import replace

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from explorer import gallery
from explorer.gallery_index import read_index
from explorer.naming import active_dims
from explorer.ui import page_editor, run_models, runs
from explorer.ui.editor_link import (MAX_IMAGE_CHARS, WIDEN, LinkValueError, decode_image, encode_image, format_edits,
                                     nice_step, parse_edits, slider_range)


@pytest.fixture(scope="module")
def tiny_gallery(app_gallery):
    return app_gallery  # conftest's tiny gallery; the editor is shown its two conv runs b1 and b4 (below)


@pytest.fixture(autouse=True)
def _app_state(tiny_gallery, monkeypatch):
    """Caches are process-wide: clear them around every test. The app reads the tiny gallery; b4 has the top MIG."""
    monkeypatch.setattr(runs, "GALLERY_DIR", tiny_gallery)
    records = read_index(tiny_gallery)
    migs = {"b1": 0.05, "b4": 0.43}  # listed first, β = 1 is what the page used to open on
    patched = [replace(r, metrics={**r.metrics, "mig": migs[r.name]}) for r in records if r.name in migs]
    monkeypatch.setattr(runs, "gallery_index", lambda: patched)
    # two training steps leave no latent informative (signal above its own noise); these tests are about sliders
    # and links, so the page offers Burda's active dimensions instead
    monkeypatch.setattr(page_editor, "used_dims", active_dims)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _editor(**params) -> AppTest:
    def script():
        from explorer.ui.page_editor import editor_page

        editor_page()
    at = AppTest.from_function(script, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _slider(at, dim):
    return next(s for s in at.slider if s.label.split(" ")[0] == f"z{dim}")


def _same_picture(at_image, x) -> bool:
    """Streamlit names a media file by a hash of its PNG bytes: equal URLs mean equal pictures."""
    def show(img):
        import streamlit as st

        st.image(img, width=192, clamp=True)
    reference = AppTest.from_function(show, args=(x,), default_timeout=30).run()
    return at_image.value == reference.image[0].value


def _square() -> np.ndarray:
    x = np.zeros((64, 64), dtype=np.float32)
    x[18:46, 12:40] = 1.0
    return x


# ---- the page -------------------------------------------------------------------------------------------------


def test_opens_on_the_most_disentangled_gallery_run_with_sliders_that_agree_with_the_header():
    at = _editor()
    assert not at.exception
    assert at.selectbox[0].value == "g:b4" and at.query_params["run"] == "g:b4"
    assert "most disentangled run by MIG 0.43" in " ".join(c.value for c in at.caption)
    assert len(at.slider) == 3  # fails if the page shows no slider at all (all three tiny dims are active)
    assert "1st–99th percentile" in at.markdown[0].value and f"{WIDEN:.0%}" in at.markdown[0].value
    run, _ = run_models.get_run("g:b4")
    lo, hi = run_models.cached_code_ranges("g:b4", "data", run)
    for d, s in enumerate(at.slider):
        assert s.min <= s.value <= s.max  # the encoded value, where the slider starts
        a, b = lo[d] - WIDEN * (hi[d] - lo[d]), hi[d] + WIDEN * (hi[d] - lo[d])
        # the widened data range (and the encoded value), rounded outwards onto the step
        assert min(a, s.value) - s.step < s.min <= min(a, s.value) + 1e-9
        assert max(b, s.value) - 1e-9 <= s.max < max(b, s.value) + s.step
        assert 50 <= round((s.max - s.min) / s.step) <= 102


def test_moving_a_slider_writes_it_into_the_link_and_changing_the_run_drops_it():
    at = _editor()
    s = at.slider[1]
    target = round(s.min + 5 * s.step, 6)
    before = str(at.get("image")[-1].proto)
    s.set_value(target).run()
    assert not at.exception and str(at.get("image")[-1].proto) != before
    dim, value = at.query_params["edit"].split(":")
    assert dim == "1" and float(value) == pytest.approx(target)
    at.selectbox[0].set_value("g:b1").run()
    assert not at.exception and "edit" not in at.query_params
    assert all(abs(s.value - target) > 1e-9 for s in at.slider)  # b1's sliders start at b1's own encoded values


def test_a_link_with_edit_sets_the_named_sliders_clamps_and_names_bad_entries():
    plain = _editor()
    s1 = _slider(plain, 1)
    inside = round((s1.min + s1.max) / 2 + s1.step, 4)
    at = _editor(run="g:b4", edit=f"1:{inside},0:1e6,bogus,9:1,2:nan")
    assert not at.exception
    assert _slider(at, 1).value == pytest.approx(inside)
    assert _slider(at, 0).value == _slider(at, 0).max  # clamped to the slider's range
    assert _slider(at, 2).value == _slider(plain, 2).value  # a bad value leaves the encoded value
    (notice,) = at.info
    assert all(s in notice.value for s in ("'bogus'", "'9:1'", "'2:nan'", "clamped z0"))


def test_an_img_link_reopens_the_picture_and_garbage_falls_back_to_a_dsprites_image():
    x = _square()
    at = _editor(run="g:b4", img=encode_image(x))
    assert not at.exception
    assert at.radio[0].value == "upload" and "image from the link" in " ".join(c.value for c in at.caption)
    assert at.image[0].captions == ["input"] and _same_picture(at.image[0], x)
    assert len(at.slider) == 3
    for garbage in ("%%%not-base64", "A" * (MAX_IMAGE_CHARS + 1), encode_image(x)[:-6]):
        at = _editor(run="g:b4", img=garbage)
        assert not at.exception and at.radio[0].value == "dSprites image"
        assert "Ignored the picture in the link" in at.info[0].value and "img" not in at.query_params
        assert len(at.slider) == 3


def test_an_upload_is_written_into_the_link_and_a_bad_one_refused_with_one_line():
    buffer = io.BytesIO()
    Image.fromarray((_square() * 255).astype(np.uint8)).resize((128, 128)).save(buffer, format="PNG")
    at = _editor(run="g:b4")
    at.radio[0].set_value("upload").run()
    at.file_uploader[0].upload("square.png", buffer.getvalue(), "image/png").run()
    assert not at.exception and "image" not in at.query_params
    assert np.array_equal(decode_image(at.query_params["img"]), _square())
    assert _same_picture(at.image[0], _square()) and len(at.slider) == 3
    at = _editor(run="g:b4")
    at.radio[0].set_value("upload").run()
    at.file_uploader[0].upload("x.png", b"not an image at all", "image/png").run()
    assert not at.exception and "not a readable image" in at.error[0].value


# ---- the link format ----------------------------------------------------------------------------------------------


def test_image_payload_round_trips_compactly():
    rng = np.random.default_rng(0)
    for x in (_square(), np.zeros((64, 64)), (rng.random((64, 64)) > 0.5).astype(np.float32)):
        payload = encode_image(x)
        assert np.array_equal(decode_image(payload), x) and len(payload) < 800
        assert set(payload) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(encode_image(_square())) < 100


@pytest.mark.parametrize("raw", ["", "!!", "abc+/", "A", "AAAA", "eJw", "A" * (MAX_IMAGE_CHARS + 1)])
def test_malformed_or_oversized_image_payloads_are_refused_with_a_reason(raw):
    with pytest.raises(LinkValueError):
        decode_image(raw)


def test_image_payloads_of_the_wrong_size_or_with_trailing_data_are_refused():
    import base64
    import zlib

    def payload(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")
    for packed in (bytes(511), bytes(513), bytes(10**6)):
        with pytest.raises(LinkValueError, match="64×64"):
            decode_image(payload(zlib.compress(packed, 9)))
    with pytest.raises(LinkValueError):
        decode_image(payload(zlib.compress(bytes(512)) + b"extra"))
    with pytest.raises(ValueError):
        encode_image(np.zeros((32, 32)))


def test_edit_values_round_trip_and_bad_entries_are_named_once():
    bounds = {0: (-2.0, 2.0), 3: (-1.0, 1.5)}
    text = format_edits({3: 1.25, 0: -0.5000001}, {0: 2, 3: 3})
    assert text == "0:-0.5,3:1.25"
    assert parse_edits(text, bounds) == ({0: -0.5, 3: 1.25}, None)
    edits, notice = parse_edits("z3:9, 0:x,7:1,,:,0:inf", bounds)
    assert edits == {3: 1.5}
    assert notice.count("\n") == 0 and "clamped z3 to 1.5" in notice and "'0:x'" in notice and "'7:1'" in notice
    assert parse_edits("0:1," * 400, bounds)[0] == {} and "longer than" in parse_edits("0:1," * 400, bounds)[1]
    assert parse_edits(None, bounds) == ({}, None)


def test_slider_range_widens_the_data_range_includes_the_value_and_takes_a_round_step():
    low, high, step, decimals = slider_range(-1.0, 1.0, 0.2)
    assert (low, high, step, decimals) == (-1.3, 1.3, 0.05, 2)  # 15 % of the width of 2 on each side
    low, high, step, _ = slider_range(-1.0, 1.0, 2.0)  # an image outside the data's range still fits
    assert low == -1.3 and high >= 2.0 and high - step < 2.0
    low, high, step, _ = slider_range(0.1, 0.1, 0.1)  # a dimension the data never moves still gets a usable slider
    assert high - low >= 0.5 and low <= 0.1 <= high
    for width in (0.01, 0.37, 1.0, 2.9, 7.3, 40.0):
        low, high, step, _ = slider_range(0.0, width, 0.0)
        assert 50 <= round((high - low) / step) <= 102
    assert nice_step(0.034) == (0.05, 2) and nice_step(0.021) == (0.025, 3) and nice_step(0.096) == (0.1, 1)
