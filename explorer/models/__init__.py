"""The β-VAE: Burgess encoder + a decoder chosen by name (its 'strength')."""
from __future__ import annotations

from ..config import DECODER_HELP
from .encoder import BurgessEncoder
from .factorised import BroadcastDecoder, ConvDecoder, MLPDecoder
from .pixelcnn import PixelCNNDecoder
from .vae import VAE

#: name -> (class, extra kwargs, one-line description); order = increasing strength (the words live in config).
DECODERS = {name: (cls, extra, DECODER_HELP[name]) for name, cls, extra in (
    ("mlp", MLPDecoder, {}), ("conv", ConvDecoder, {}), ("broadcast", BroadcastDecoder, {}),
    ("pixelcnn1", PixelCNNDecoder, {"n_layers": 1}), ("pixelcnn2", PixelCNNDecoder, {"n_layers": 2}),
    ("pixelcnn4", PixelCNNDecoder, {"n_layers": 4}), ("pixelcnn8", PixelCNNDecoder, {"n_layers": 8}))}



def build_model(model_config) -> VAE:
    """The encoder and the named decoder of a ModelConfig, freshly initialised (from torch's global stream)."""
    cls, extra, _ = DECODERS[model_config.decoder]
    decoder = cls(latent_dim=model_config.latent_dim, ar_channels=model_config.ar_channels, **extra)
    return VAE(BurgessEncoder(model_config.latent_dim, init=model_config.encoder_init, coords=model_config.coord_conv),
               decoder)


__all__ = ["BroadcastDecoder", "BurgessEncoder", "ConvDecoder", "DECODERS", "MLPDecoder", "PixelCNNDecoder", "VAE", "build_model"]
