"""The embedded backend's own promises, beyond the evaluation figures."""

from __future__ import annotations

import numpy as np

from nlu import INTENTS
from nlu.embedded import stored_model_is_current


def test_the_stored_model_matches_the_training_data():
    assert stored_model_is_current(), "training data changed: run `werkmaat nlu train`"


def test_hand_computed_features_equal_sklearns(nlu):
    surface = nlu._surface
    for text in ["ik kan morgen niet komen", "مرحبا", "😀", "", "x" * 3000, "Ça va? OCMW!"]:
        reference = surface._chars.transform([text]).toarray()[0]
        indices, values = surface.features(text)
        mine = np.zeros_like(reference)
        mine[indices] = values
        assert np.allclose(reference, mine, atol=1e-6), text


def test_every_parse_names_a_contract_intent_and_a_probability(nlu):
    for text in ["hallo", "ik wil niet meer leven", "🙂🙂", "x" * 5000, "\u202eevil", "123"]:
        parse = nlu.parse(text)
        assert parse.intent in INTENTS and 0.0 <= parse.confidence <= 1.0
        scores = [s.confidence for s in parse.ranking]
        assert scores == sorted(scores, reverse=True) and sum(scores) <= 1.0 + 1e-6
    assert nlu.parse("ik wil niet meer leven").crisis
    assert not nlu.parse("mijn werk gaat goed").crisis
