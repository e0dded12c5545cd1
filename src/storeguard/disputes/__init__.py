"""Payment disputes (chargebacks) from gateways or entered by hand."""
