"""storeguard: the back office that protects online merchants from difficult customers."""

__version__ = "0.1.0"
