"""storeguard's benchmarks: ``python -m bench`` runs every ``bench_*.py`` and records the figures."""
