"""LightGBM LambdaRank with the scikit-learn contract, early stopping and position debiasing.

Built on `lightgbm.train` rather than `LGBMRanker` because only the `Dataset` accepts the
`position` of each logged impression, which LightGBM uses to learn and remove position bias
(unbiased LambdaMART). Monotone constraints come from the feature registry. Models are saved
as LightGBM's text format: no pickle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.exceptions import NotFittedError

from features.registry import FEATURE_NAMES, monotone_constraints

# A request scores ~200 rows and explains a page of ~20; LightGBM's OpenMP threads cost more to
# start and join there than they save (2 shared cores, busy: 200 rows 7.6 -> 0.6 ms, TreeSHAP on
# 20 rows 8.0 -> 3.8 ms on one thread; two threads only caught up at ~20k rows). A row's score and
# contributions are computed by one thread either way, so the count changes no number.
ONE_THREAD_ROWS = 4096


def _threads(rows: int) -> dict[str, Any]:
    """LightGBM's prediction threads for a batch: one for a request's few rows; its default
    (every core) for bulk scoring (evaluation, global views). LightGBM parameters, passed
    through `Booster.predict`'s **kwargs (typed Any there)."""
    return {"num_threads": 1} if rows <= ONE_THREAD_ROWS else {}


def dense(predicted: object) -> np.ndarray:
    """`Booster.predict`'s answer as the array it is for dense rows (it is declared to return
    sparse matrices too, which only sparse rows give)."""
    if not isinstance(predicted, np.ndarray):
        raise TypeError(f"expected dense predictions, got {type(predicted).__name__}")
    return predicted


@dataclass
class LambdaRanker:
    n_estimators: int = 400
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_child_samples: int = 20
    early_stopping_rounds: int = 40
    # Early stopping looks for the best validation NDCG@10 from this many trees on. Logged
    # feedback makes that metric noisy and quick to saturate: on the demo logs it is flat
    # within its noise from 1 to ~100 trees while the fit to the hidden truth keeps rising
    # (NDCG@10 0.893 at 1 tree, 0.915 at 50), so an unfloored stop keeps a 1-tree model.
    min_trees: int = 50
    debias_positions: bool = True
    seed: int = 7
    booster_: lgb.Booster | None = field(default=None, init=False, repr=False)
    best_iteration_: int = field(default=0, init=False)
    base_trees_: int = field(default=0, init=False)  # trees taken over from `init_model`

    def _params(self) -> dict[str, Any]:  # LightGBM's own parameter dict (lgb.train's type)
        return {
            "objective": "lambdarank",
            "metric": "ndcg",
            "eval_at": [10],
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "monotone_constraints": monotone_constraints(),
            "monotone_constraints_method": "advanced",
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": 2,
            "verbosity": -1,
        }

    def fit(
        self,
        features: np.ndarray,
        labels: np.ndarray,
        group_sizes: np.ndarray,
        *,
        positions: np.ndarray | None = None,
        valid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        init_model: LambdaRanker | None = None,
    ) -> LambdaRanker:
        """Train; with `valid` (features, labels, sizes) stop early on its NDCG@10.

        `init_model`: continue boosting from that model's trees (it scores every row first;
        the new trees learn what it gets wrong on these logs), the way to learn from a few weeks
        of one company's logs without forgetting what the packaged default knows."""
        train = lgb.Dataset(
            features,
            labels,
            group=group_sizes,
            position=positions if self.debias_positions and positions is not None else None,
            feature_name=list(FEATURE_NAMES),
            free_raw_data=False,
        )
        callbacks: list[Callable[..., Any]] = []
        valid_sets = []
        base = init_model._trees() if init_model is not None else None
        stop = _FlooredEarlyStop(self.min_trees, self.early_stopping_rounds)
        if valid is not None:
            valid_sets = [lgb.Dataset(valid[0], valid[1], group=valid[2], reference=train)]
            callbacks.append(stop)
        self.booster_ = lgb.train(
            self._params(),
            train,
            num_boost_round=self.n_estimators,
            valid_sets=valid_sets,
            callbacks=callbacks,
            init_model=base,
        )
        self.best_iteration_ = stop.best_iteration or self.booster_.current_iteration()
        self.base_trees_ = base.current_iteration() if base is not None else 0
        return self

    def _booster(self) -> lgb.Booster:
        if self.booster_ is None:
            raise NotFittedError("this LambdaRanker is not fitted yet; call fit() or load()")
        return self.booster_

    def _trees(self) -> lgb.Booster:
        """The booster as it predicts: early stopping's best iteration, no tree after it."""
        booster = self._booster()
        if self.best_iteration_ >= booster.current_iteration():
            return booster
        return lgb.Booster(model_str=booster.model_to_string(num_iteration=self.best_iteration_))

    def predict(self, features: np.ndarray) -> np.ndarray:
        return dense(
            self._booster().predict(
                features, num_iteration=self.best_iteration_, **_threads(len(features))
            )
        )

    def contributions(self, features: np.ndarray) -> np.ndarray:
        """TreeSHAP contributions per feature, plus the base value as the last column."""
        return dense(
            self._booster().predict(
                features,
                num_iteration=self.best_iteration_,
                pred_contrib=True,
                **_threads(len(features)),
            )
        )

    def feature_importance(self) -> dict[str, float]:
        gains = self._booster().feature_importance(
            importance_type="gain", iteration=self.best_iteration_
        )
        return dict(zip(FEATURE_NAMES, (float(g) for g in gains), strict=True))

    def save(self, path: Path) -> None:
        self._booster().save_model(str(path), num_iteration=self.best_iteration_)

    @classmethod
    def load(cls, path: Path) -> LambdaRanker:
        ranker = cls()
        ranker.booster_ = lgb.Booster(model_file=str(path))
        ranker.best_iteration_ = ranker.booster_.current_iteration()
        if list(ranker.booster_.feature_name()) != list(FEATURE_NAMES):
            raise ValueError(f"{path} was trained on other features than this registry's")
        return ranker


class _FlooredEarlyStop:
    """Keep the iteration with the best validation score at or after `min_trees`; stop once
    `patience` further trees bring no improvement."""

    order = 30  # run where LightGBM runs its own early stopping

    def __init__(self, min_trees: int, patience: int) -> None:
        self.min_trees, self.patience = min_trees, patience
        self.best_iteration, self.best_score = 0, float("-inf")

    def __call__(self, env: lgb.callback.CallbackEnv) -> None:
        # Iterations count from the initial model's trees when boosting continues from one;
        # the floor and the patience count new trees only.
        trees = env.iteration + 1
        new_trees = trees - env.begin_iteration
        results = env.evaluation_result_list
        if new_trees < self.min_trees or not results:
            return
        result = results[0]
        if result[2] > self.best_score:
            self.best_iteration, self.best_score = trees, result[2]
        elif trees - self.best_iteration >= self.patience:
            raise lgb.callback.EarlyStopException(self.best_iteration - 1, [result])
