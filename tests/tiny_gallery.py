"""A gallery of tiny runs (a second's training each) for the page tests: same builder, same index, tiny models."""
import pytest

from explorer import gallery, views
from explorer.flags import parse_train
from explorer.protocols import Protocol

#: The slow scores of a tiny run's views on a small sample: what is tested is that they are stored and shown.
SMALL_EXTRA = Protocol("extra", 600, 7, "tests: DCI, SAP and FactorVAE of tiny runs")


def build(tmp_path_factory, label: str, entries: tuple) -> object:
    """Train ``entries`` (GalleryEntry tuples) into a fresh folder and return it, as ``explorer gallery`` would."""
    out = tmp_path_factory.mktemp(label)
    mp = pytest.MonkeyPatch()
    mp.setattr(gallery, "ENTRIES", entries)
    mp.setattr(gallery, "EVAL_SAMPLES", 200)
    mp.setattr(views, "EXTRA", SMALL_EXTRA)
    gallery.build(out, log=lambda *_: None)
    mp.undo()
    return out


def entry(name: str, title: str, role: str, flags: tuple) -> gallery.GalleryEntry:
    """A gallery entry stated by its ``train`` flags, as a test writes it."""
    return gallery.GalleryEntry(name, title, role, parse_train(flags))
