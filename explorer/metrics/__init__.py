"""Disentanglement and collapse metrics: plain functions of numpy arrays returning dicts.

Supervised scores (need ground-truth factors): MIG, DCI, SAP, FactorVAE score.
Collapse diagnostics (need only encoder outputs): active and informative units, KL per latent,
I_q(x; z). ``seed_summary`` summarises any score over training seeds. No UI imports, and no
scikit-learn until DCI or SAP fits a classifier, so importing the metrics stays cheap.
Reference implementations and synthetic codes for testing live in tests/oracles.py.
"""
from .collapse import active_units, informative_units, kl_per_dim, mutual_information
from .dci import dci
from .factor_vae import factor_vae_score
from .kl_decomposition import kl_decomposition
from .mig import latent_factor_labels, mig
from .sap import sap
from .seeds import seed_summary

__all__ = [
    "active_units", "dci", "factor_vae_score", "informative_units", "kl_decomposition", "kl_per_dim",
    "latent_factor_labels", "mig", "mutual_information", "sap", "seed_summary",
]
