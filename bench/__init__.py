"""Benchmarks. Importing the package gives every bench (and each process it starts) the explorer's OpenMP
wait policy, as the CLI and the app's children have it, before any bench imports torch."""
from explorer import omp

omp.apply()
