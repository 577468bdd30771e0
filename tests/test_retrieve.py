"""Retrieval's pure parts, without the model."""

import numpy as np

from qa.retrieve import Moments


def test_moments_give_the_mean_and_spread_of_a_query_cosines_over_the_sample():
    rng = np.random.default_rng(3)
    sample = rng.normal(size=(300, 16)).astype(np.float32)
    sample /= np.linalg.norm(sample, axis=1, keepdims=True)
    query = rng.normal(size=16).astype(np.float32)
    query /= np.linalg.norm(query)
    cosines = sample @ query
    mean, std = Moments.of(sample).scale(query)
    assert np.isclose(mean, cosines.mean(), atol=1e-6)
    assert np.isclose(std, cosines.std(), atol=1e-6)


def test_an_empty_sample_scales_nothing():
    assert Moments.of(np.zeros((0, 16), np.float32)).scale(np.ones(16, np.float32)) == (0.0, 1.0)
