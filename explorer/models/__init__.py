"""The β-VAE: Burgess encoder + a decoder chosen by name (its 'strength')."""
from __future__ import annotations

from .encoder import BurgessEncoder
from .factorised import BroadcastDecoder, ConvDecoder, MLPDecoder
from .pixelcnn import PixelCNNDecoder
from .vae import VAE

#: name -> (class, extra kwargs, one-line description); order = increasing strength.
DECODERS = {
    "mlp": (MLPDecoder, {}, "factorised, small MLP (z→256→4096): cannot collapse at β=1"),
    "conv": (ConvDecoder, {}, "factorised, standard transposed-conv decoder (Burgess): cannot collapse at β=1"),
    "broadcast": (BroadcastDecoder, {}, "factorised, spatial broadcast (z tiled over a grid + coordinates): cannot collapse at β=1"),
    "pixelcnn1": (PixelCNNDecoder, {"n_layers": 1}, "autoregressive, 7×7 mask-A + 1 masked layer (receptive field 4 rows)"),
    "pixelcnn2": (PixelCNNDecoder, {"n_layers": 2}, "autoregressive, 7×7 mask-A + 2 masked layers (5 rows)"),
    "pixelcnn4": (PixelCNNDecoder, {"n_layers": 4}, "autoregressive, 7×7 mask-A + 4 masked layers (7 rows)"),
    "pixelcnn8": (PixelCNNDecoder, {"n_layers": 8}, "autoregressive, 7×7 mask-A + 8 masked layers (11 rows): the strongest, collapses at β=1"),
}



def build_model(model_config) -> VAE:
    """The encoder and the named decoder of a ModelConfig, freshly initialised (from torch's global stream)."""
    cls, extra, _ = DECODERS[model_config.decoder]
    decoder = cls(latent_dim=model_config.latent_dim, ar_channels=model_config.ar_channels, **extra)
    return VAE(BurgessEncoder(model_config.latent_dim, init=model_config.encoder_init, coords=model_config.coord_conv),
               decoder)


__all__ = ["BroadcastDecoder", "BurgessEncoder", "ConvDecoder", "DECODERS", "MLPDecoder", "PixelCNNDecoder", "VAE", "build_model"]
