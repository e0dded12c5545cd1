"""Privacy: everything held about a person, exported on request."""
