from enum import StrEnum


class Platform(StrEnum):
    shopify = "shopify"
    woocommerce = "woocommerce"
    other = "other"
