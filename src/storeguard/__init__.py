"""storeguard: the back office that protects online merchants from difficult customers."""

__version__ = "0.1.0"

# The domain packages, in the order their routers, commands and tables are mounted.
# A package joins the app by existing: app.py, cli.py and the model registry look each
# one up here, so a new domain never edits those files.
DOMAINS: tuple[str, ...] = (
    "shops",
    "orders",
    "customers",
    "lists",
    "rules",
    "screening",
    "risk",
    "returns",
    "disputes",
    "cases",
    "notifications",
    "appeals",
    "analytics",
    "integrations",
    "demo",
    "web",
)
