"""Tests of utils.model_configs: the named configurations and their validation."""

from __future__ import annotations

import dataclasses

import pytest

from utils import model_configs
from utils.model_configs import ModelConfig


def test_configs_are_valid_and_named():
    assert "seed_gru" in model_configs.CONFIGS
    seed = model_configs.CONFIGS["seed_gru"]
    assert (seed.rnn, seed.units, seed.num_words, seed.maxlen) == ("gru", 32, 10_000, 500)
    for name, cfg in model_configs.CONFIGS.items():
        assert cfg.description, f"{name} has no description"


@pytest.mark.parametrize("kwargs, match", [
    ({"rnn": "transformer"}, "rnn"), ({"pooling": "median"}, "pooling"),
    ({"units": 0}, "units"), ({"dropout": 1.0}, "dropout"), ({"patience": 0}, "patience"),
    ({"padding": "middle"}, "padding"), ({"pooling": "max", "mask": False}, "mask"),
    ({"batch_size": 0}, "batch_size"),
])
def test_model_config_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ModelConfig(**kwargs)


def test_model_config_flags_must_be_bools():
    with pytest.raises(TypeError, match="jit_compile"):
        ModelConfig(jit_compile=1)


def test_config_of_names_seeds_of_the_same_model():
    assert model_configs.config_of("seed_gru") is model_configs.CONFIGS["seed_gru"]
    seeded = model_configs.config_of("seed_gru_seed2")
    assert seeded == dataclasses.replace(model_configs.CONFIGS["seed_gru"], seed=2)
    assert model_configs.seed_names("best_candidate") == [
        "best_candidate", "best_candidate_seed1", "best_candidate_seed2"]
    names = model_configs.seed_names("lstm")
    assert [model_configs.config_of(n).seed for n in names] == list(model_configs.SEEDS)
    for bad in ("no_such_model", "seed_gru_seedx", "no_such_seed1"):
        with pytest.raises(ValueError, match="unknown model"):
            model_configs.config_of(bad)
    with pytest.raises(ValueError, match="name"):
        model_configs.seed_names("seed_gru_seed1")
