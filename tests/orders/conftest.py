import pytest
from sqlalchemy.orm import Session

from storeguard.shops.models import Product, Shop
from tests.factories import make_product, make_shop


@pytest.fixture
def shop(session: Session) -> Shop:
    return make_shop(session, currency="USD")


@pytest.fixture
def shirt(session: Session, shop: Shop) -> Product:
    return make_product(session, shop, sku="SHIRT", title="Linen shirt", price=4500, stock=10)


@pytest.fixture
def mug(session: Session, shop: Shop) -> Product:
    return make_product(session, shop, sku="MUG", title="Mug", price=1000, stock=5)
