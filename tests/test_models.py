"""Encoder/decoder shapes, the autoregressive decoders' causality and their exact greedy decode."""
import numpy as np
import pytest
import torch

from explorer.config import ModelConfig
from explorer.models import DECODERS, build_model
from explorer.models.pixelcnn import PixelCNNDecoder


@pytest.mark.parametrize("decoder", list(DECODERS))
def test_every_decoder_maps_codes_to_image_logits(decoder):
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=3, decoder=decoder, ar_channels=4))
    x = (torch.rand(2, 1, 64, 64) > 0.8).float()
    logits, mu, logvar = model(x)
    assert logits.shape == (2, 1, 64, 64) and mu.shape == logvar.shape == (2, 3)
    probs, info = model.decode(torch.zeros(2, 3), **({"max_passes": 3} if model.autoregressive else {}))
    assert probs.shape == (2, 1, 64, 64) and ((probs >= 0) & (probs <= 1)).all()
    assert model.autoregressive == decoder.startswith("pixelcnn")


@pytest.mark.parametrize("n_layers", [1, 4])
def test_autoregressive_pixels_see_only_earlier_pixels(n_layers):
    torch.manual_seed(0)
    dec = PixelCNNDecoder(latent_dim=2, n_layers=n_layers, ar_channels=4)
    x = torch.rand(1, 1, 64, 64, requires_grad=True)
    dec(torch.zeros(1, 2), x)[0, 0, 30, 30].backward()
    deps = x.grad[0, 0].nonzero().tolist()
    assert deps and all(r < 30 or (r == 30 and c < 30) for r, c in deps)
    assert min(r for r, _ in deps) == 30 - (3 + n_layers)  # receptive field grows with depth


def test_factorised_decoders_ignore_the_image():
    torch.manual_seed(0)
    dec = build_model(ModelConfig(decoder="conv")).decoder
    z = torch.randn(2, 10)
    assert torch.equal(dec(z, torch.zeros(2, 1, 64, 64)), dec(z, torch.ones(2, 1, 64, 64)))


def test_jacobi_decode_equals_sequential_greedy_decode():
    """The parallel fixed point is exactly the pixel-by-pixel greedy decode."""
    torch.manual_seed(3)
    dec = PixelCNNDecoder(latent_dim=2, n_layers=2, ar_channels=4)
    with torch.no_grad():
        dec.z_maps.weight.mul_(20.0)  # strong, spatially varying input so the image is a non-trivial mix
    z = torch.randn(1, 2)
    probs, info = dec.generate(z, max_passes=4096)
    assert info["converged"] and info["passes"] < 4096
    x = torch.zeros(1, 1, 64, 64)
    with torch.no_grad():
        for r in range(64):
            for c in range(64):
                x[0, 0, r, c] = float(dec(z, x)[0, 0, r, c] > 0)
    assert 200 < int(x.sum()) < 3900
    assert torch.equal((probs > 0.5).float(), x)


def test_traversal_grid_labels_png_and_gif():
    import io

    from PIL import Image

    from explorer.grid_images import grid_gif, labelled_grid_image
    from explorer.naming import row_labels
    from explorer.traversal import traversal_codes, traversal_grid

    codes = traversal_codes(np.array([0.5, -1.0]), np.linspace(-3, 3, 4))
    assert codes.shape == (8, 2)
    assert codes[:4, 0].tolist() == pytest.approx([-3, -1, 1, 3]) and (codes[:4, 1] == -1).all()
    assert codes[4:, 1].tolist() == pytest.approx([-3, -1, 1, 3]) and (codes[4:, 0] == 0.5).all()
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=2, decoder="conv")).eval()
    grid, _ = traversal_grid(model)
    assert grid.shape == (2, 8, 64, 64)
    metrics = {"kl_per_dim": [2.0, 0.001], "posterior_mean_variance": [0.5, 0.0],
               "mi_matrix": [[0.9, 0.0], [0.1, 0.0]]}
    labels = row_labels(metrics, ("posX", "posY"))
    assert labels == ["z0 · posX · KL 2.0", "z1 · KL 0.0 · no information"]
    assert labelled_grid_image(grid, labels).size[0] > 8 * 132  # tiles drawn 2× with the labels beside them
    gif = Image.open(io.BytesIO(grid_gif(grid, labels)))
    assert gif.format == "GIF" and gif.n_frames == 8 + 6


def test_he_initialised_encoder_sees_the_image_from_the_first_step():
    """PyTorch's default init leaves the posterior mean almost constant across images; He init does not."""
    from explorer.data import ProceduralDSprites
    from explorer.models import BurgessEncoder

    x = torch.from_numpy(ProceduralDSprites().images(np.arange(0, 737_280, 2_881)))
    spreads = {}
    for init in ("torch", "he"):
        torch.manual_seed(0)
        mu, _ = BurgessEncoder(10, init=init)(x)
        spreads[init] = float(mu.std(0).mean())
    assert spreads["torch"] < 0.01 < 0.1 < spreads["he"], spreads


def test_coordconv_encoder_reads_position_from_coordinate_channels():
    from explorer.models.encoder import with_coordinates
    x = torch.zeros(2, 1, 64, 64)
    x[0, 0, 5, 50] = 1.0
    c = with_coordinates(x)
    assert c.shape == (2, 3, 64, 64) and torch.equal(c[:, :1], x)
    assert c[0, 1, 5, 0] == -1.0 and c[0, 1, 5, 63] == 1.0   # column
    assert c[0, 2, 0, 7] == -1.0 and c[0, 2, 63, 7] == 1.0   # row
    torch.manual_seed(0)
    plain = build_model(ModelConfig(latent_dim=3))
    torch.manual_seed(0)
    coord = build_model(ModelConfig(latent_dim=3, coord_conv=True))
    assert coord.encoder.convs[0].in_channels == 3 and plain.encoder.convs[0].in_channels == 1
    assert coord(x)[1].shape == (2, 3)
