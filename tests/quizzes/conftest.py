import pytest


@pytest.fixture
def learner():
    from tests.factories import make_user

    return make_user("window_staff")


@pytest.fixture
def other_learner():
    from tests.factories import make_user

    return make_user("window_staff")
