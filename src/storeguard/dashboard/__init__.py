"""The dashboard: the page every login lands on, made of the figures each domain registers."""
