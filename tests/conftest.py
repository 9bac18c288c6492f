import os
import shutil

import pytest

from tests.factories import UserFactory

REQUIRE_SERVICES = os.environ.get("TROVA_REQUIRE_SERVICES") == "1"


def require_service(available: bool, what: str) -> None:
    """Skip a test that needs a service which is not here, unless CI demands every service."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (TROVA_REQUIRE_SERVICES=1) but not available.")
    pytest.skip(f"{what} is not available here; set it up and TROVA_REQUIRE_SERVICES=1 to run this test.")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


@pytest.fixture
def seller(db):
    return UserFactory(username="seller", display_name="Sam Seller")


@pytest.fixture
def buyer(db):
    return UserFactory(username="buyer", display_name="Bea Buyer")


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)
