"""Customer risk: behaviour, abuse findings with their evidence, an explainable score."""
