"""Tiny configurations that train in well under a second."""
from explorer.config import ModelConfig, ObjectiveConfig, RunConfig, TrainConfig


def tiny_config(decoder: str = "conv", steps: int = 6, **objective) -> RunConfig:
    return RunConfig(
        model=ModelConfig(latent_dim=3, decoder=decoder, ar_channels=4),
        objective=ObjectiveConfig(**{"beta": 4.0, "warmup_steps": 0, **objective}),  # the floor would cover a tiny run
        train=TrainConfig(batch_size=8, steps=steps, seconds=None, log_every=3, eval_samples=64, seed=0),
    )
