"""The codes a shop or product refusal carries."""

from enum import StrEnum


class ShopError(StrEnum):
    product_not_found = "product_not_found"
    shop_required = "shop_required"  # no shop named, and there is not exactly one
    invalid_platform = "invalid_platform"
    invalid_domain = "invalid_domain"
    invalid_time_zone = "invalid_time_zone"
    domain_taken = "domain_taken"
    title_required = "title_required"
    sku_required = "sku_required"
    sku_taken = "sku_taken"
    invalid_price = "invalid_price"
    invalid_stock = "invalid_stock"
    invalid_options = "invalid_options"
    invalid_catalogue_mapping = "invalid_catalogue_mapping"
