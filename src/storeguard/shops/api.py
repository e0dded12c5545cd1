"""JSON routes for shops and their catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from storeguard.core.api import Admin, Page, PagingDep, SessionDep, Viewer
from storeguard.core.schemas import Id
from storeguard.shops import actions, policy, service
from storeguard.shops.schemas import (
    CatalogueMapping,
    CatalogueMappingIn,
    ProductCreate,
    ProductFilter,
    ProductRead,
    ProductUpdate,
    ShopCreate,
    ShopRead,
)

router = APIRouter(prefix="/v1")


def shop_filter(
    session: SessionDep, shop_id: Annotated[Id | None, Query(description="Only this shop's.")] = None
) -> int | None:
    """Read the shop a list is narrowed to: one that does not exist is 404 ``shop_not_found``, not an empty page."""
    if shop_id is not None:
        service.get_shop(session, shop_id, field="shop_id")
    return shop_id


ShopFilter = Annotated[int | None, Depends(shop_filter)]


@router.get("/shops", response_model=Page[ShopRead], tags=["shops"], name="shops.list")
def list_shops(session: SessionDep, _actor: Viewer, paging: PagingDep) -> Page[ShopRead]:
    """List the shops this installation protects."""
    shops, total = service.list_shops(session, limit=paging.limit, offset=paging.offset)
    items = [ShopRead.model_validate(s) for s in shops]
    return Page[ShopRead](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/shops",
    response_model=ShopRead,
    status_code=status.HTTP_201_CREATED,
    tags=["shops"],
    name="shops.create",
)
def create_shop(body: ShopCreate, session: SessionDep, actor: Admin) -> ShopRead:
    """Add a shop (platform, ISO 4217 currency, ISO 3166 country; its domain must be new)."""
    shop = actions.create_shop(session, data=body, actor=actor)
    session.commit()
    return ShopRead.model_validate(shop)


@router.get(
    "/shops/{shop_id}/catalogue-mapping",
    response_model=CatalogueMapping,
    tags=["shops"],
    name="shops.catalogue_mapping",
)
def get_catalogue_mapping(shop_id: Id, session: SessionDep, _actor: Viewer) -> CatalogueMapping:
    """Which platform tags and product types mark products high-value or limited-edition."""
    return CatalogueMapping(**policy.catalogue_mapping(service.get_shop(session, shop_id).settings))


@router.put(
    "/shops/{shop_id}/catalogue-mapping",
    response_model=CatalogueMapping,
    tags=["shops"],
    name="shops.set_catalogue_mapping",
)
def put_catalogue_mapping(
    shop_id: Id, body: CatalogueMappingIn, session: SessionDep, actor: Admin
) -> CatalogueMapping:
    """Change the mapping; the shop's mirrored products are flagged again by it."""
    mapping = actions.set_catalogue_mapping(
        session, shop_id=shop_id, mapping=body.model_dump(exclude_none=True), actor=actor
    )
    session.commit()
    return CatalogueMapping(**mapping)


@router.get("/shops/{shop_id}", response_model=ShopRead, tags=["shops"], name="shops.detail")
def get_shop(shop_id: Id, session: SessionDep, _actor: Viewer) -> ShopRead:
    """Show one shop."""
    return ShopRead.model_validate(service.get_shop(session, shop_id))


@router.get("/products", response_model=Page[ProductRead], tags=["products"], name="products.list")
def list_products(
    session: SessionDep,
    _actor: Viewer,
    paging: PagingDep,
    shop_id: ShopFilter,
    category: str | None = None,
    tag: str | None = None,
    high_value: Annotated[bool | None, Query(description="only high-value products (or only not)")] = None,
    limited_edition: Annotated[bool | None, Query(description="only limited editions (or only not)")] = None,
) -> Page[ProductRead]:
    """List products, filtered by shop, category, tag and the high-value / limited-edition flags."""
    flt = ProductFilter(
        shop_id=shop_id, category=category, tag=tag, high_value=high_value, limited_edition=limited_edition
    )
    items, total = service.list_products(session, flt, limit=paging.limit, offset=paging.offset)
    return Page[ProductRead](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/products",
    response_model=ProductRead,
    status_code=status.HTTP_201_CREATED,
    tags=["products"],
    name="products.create",
)
def create_product(body: ProductCreate, session: SessionDep, actor: Admin) -> ProductRead:
    """Add a product; the price is in minor units of the shop's currency and the SKU is unique per shop."""
    product = actions.create_product(session, data=body, actor=actor)
    session.commit()
    return service.product_read(session, product)


@router.get("/products/{product_id}", response_model=ProductRead, tags=["products"], name="products.detail")
def get_product(product_id: Id, session: SessionDep, _actor: Viewer) -> ProductRead:
    """Show one product."""
    return service.product_read(session, service.get_product(session, product_id))


@router.patch("/products/{product_id}", response_model=ProductRead, tags=["products"], name="products.update")
def update_product(product_id: Id, body: ProductUpdate, session: SessionDep, actor: Admin) -> ProductRead:
    """Change a product's fields; only the fields sent change."""
    product = actions.update_product(session, product_id=product_id, data=body, actor=actor)
    session.commit()
    return service.product_read(session, product)
