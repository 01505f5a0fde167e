import numpy as np
import pytest

from mlcycle.features.table import build_model_table
from mlcycle.training.model import FAMILIES, build_pipeline
from mlcycle.training.train import features_and_target


@pytest.fixture(scope="module")
def xy(churn_config, tiny_data):
    table = build_model_table(tiny_data.customers, tiny_data.events, churn_config)
    return features_and_target(table, churn_config)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_fits_and_gives_probabilities(churn_config, xy, family):
    params = {"n_estimators": 10} if family == "random_forest" else {}
    model = build_pipeline(churn_config, family, params).fit(xy.X, xy.y)
    proba = model.predict_proba(xy.X)
    assert proba.shape == (len(xy.X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # an unseen category is ignored by the encoder rather than failing the prediction
    row = xy.X.head(1).copy()
    row["payment_method"] = "carrier_pigeon"
    assert model.predict_proba(row).shape == (1, 2)


def test_preprocessing_follows_the_config(churn_config):
    pipe = build_pipeline(churn_config)
    numeric, categorical = pipe.named_steps["preprocess"].transformers[:2]
    assert numeric[2] == churn_config.numeric_names
    assert categorical[2] == churn_config.categorical_names
    assert pipe.named_steps["classifier"].n_jobs == 1


def test_unknown_family_is_named(churn_config):
    with pytest.raises(ValueError, match="unknown model family 'xgb'"):
        build_pipeline(churn_config, "xgb")
