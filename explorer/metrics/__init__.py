"""Disentanglement and collapse metrics: plain functions of numpy arrays returning dicts.

Supervised scores (need ground-truth factors): MIG, DCI, SAP, FactorVAE score, modularity.
Collapse diagnostics (need only encoder outputs): active units, KL per latent, I_q(x; z),
rate/distortion. ``seed_summary`` summarises any score over training seeds. No UI imports.
"""
from .collapse import active_units, informative_units, kl_per_dim, mutual_information, rate_distortion
from .dci import dci, dci_from_importance
from .discretize import histogram_discretize, histogram_discretize_reference
from .factor_vae import factor_vae_score
from .mig import latent_factor_labels, mig, mig_reference, normalized_mi
from .modularity import modularity, modularity_from_mi
from .mutual_info import discrete_entropy, factor_code_mi
from .sap import sap
from .seeds import seed_summary

__all__ = [
    "active_units", "dci", "dci_from_importance", "discrete_entropy", "factor_code_mi",
    "factor_vae_score", "histogram_discretize", "histogram_discretize_reference", "informative_units",
    "kl_per_dim", "latent_factor_labels", "mig", "mig_reference", "modularity",
    "modularity_from_mi", "mutual_information", "normalized_mi", "rate_distortion", "sap",
    "seed_summary",
]
