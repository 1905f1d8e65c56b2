"""The intent classifier's own prediction gives scikit-learn's probabilities, only faster."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import random as sparse_random
from sklearn.linear_model import SGDClassifier

from bot.nlu.classifier import LinearIntentClassifier


@pytest.mark.parametrize("classes", [2, 5, 30])
def test_probabilities_are_scikit_learns(classes):
    rng = np.random.default_rng(7)
    features = sparse_random(300, 2000, density=0.01, format="csr", random_state=7)
    labels = rng.integers(0, classes, 300)
    fitted = SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=20, tol=None, random_state=7).fit(
        features, labels
    )
    classifier = LinearIntentClassifier.__new__(LinearIntentClassifier)
    classifier.clf = fitted
    mine = classifier.predict_proba(features[:50])
    assert mine.shape == (50, classes)
    assert np.allclose(mine, fitted.predict_proba(features[:50]), rtol=1e-9, atol=1e-12)
    fitted.coef_ = fitted.coef_ * 2  # a retrained model is picked up, not a stale copy
    assert np.allclose(classifier.predict_proba(features[:5]), fitted.predict_proba(features[:5]))
