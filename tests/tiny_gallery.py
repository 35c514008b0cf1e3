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


#: Flags of a two-step tiny run.
TINY = ("--latent-dim", "3", "--batch-size", "8", "--eval-samples", "64", "--log-every", "2", "--steps", "2")


def app_entries() -> tuple:
    """The page tests' gallery (conftest's session fixture ``app_gallery``): a conv β ladder, a broadcast rung, the
    collapsed and the cured autoregressive decoder, a seed and its pinned twin."""
    return (entry("b1", "β = 1", "beta-ladder", ("--beta", "1", "--decoder", "conv", *TINY)),
            entry("b4", "β = 4", "beta-ladder", ("--beta", "4", "--decoder", "conv", *TINY)),
            entry("r1", "recipe β = 1", "beta-ladder", ("--beta", "1", *TINY)),
            entry("ar", "AR", "collapse", ("--beta", "1", "--decoder", "pixelcnn1", "--ar-channels", "4", *TINY)),
            entry("cu", "AR cured", "cure", ("--beta", "1", "--decoder", "pixelcnn1", "--ar-channels", "4",
                                            "--free-bits", "1", *TINY)),
            entry("s0", "seed 0", "seed-spread", ("--decoder", "conv", *TINY)),
            entry("p0", "seed 0 + labels", "pinned",
                  ("--decoder", "conv", "--labels", "20", "--label-batch", "4", "--pin", "posX,posY", *TINY)))
