import sys

from . import omp

omp.apply()  # before anything imports torch: the CLI, its sweep workers and benches wait as the app's children do

from .cli import main  # noqa: E402

sys.exit(main())
