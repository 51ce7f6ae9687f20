"""Shared test setup: a fast, deterministic hypothesis profile and a fixed engine seed per test."""
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tinygrad_gen as tg

settings.register_profile("default", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("default")


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(0)
    np.random.seed(0)
