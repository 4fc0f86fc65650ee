"""Per-class results of a finished run: recall, precision, balanced accuracy and the
confusion matrix on the test part, as plain JSON-able data."""

from __future__ import annotations

from typing import Any

import numpy as np


def class_metrics(y_true: np.ndarray, y_pred: np.ndarray, classes: list[Any]) -> dict[str, Any]:
    """``per_class`` (class, support, recall, precision), ``balanced_accuracy`` and
    ``confusion_matrix`` (``labels``; ``matrix[i][j]`` = test rows of class i predicted
    as class j). Recall of a class with no test row and precision of a class never
    predicted are None (0/0)."""
    index = {label: i for i, label in enumerate(classes)}
    k = len(classes)
    matrix = np.zeros((k, k), dtype=np.int64)
    true_i = np.fromiter((index[v] for v in y_true.tolist()), dtype=np.int64, count=y_true.size)
    pred_i = np.fromiter((index[v] for v in y_pred.tolist()), dtype=np.int64, count=y_pred.size)
    np.add.at(matrix, (true_i, pred_i), 1)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    per_class = []
    recalls = []
    for i, label in enumerate(classes):
        hit = int(matrix[i, i])
        recall = hit / int(support[i]) if support[i] else None
        precision = hit / int(predicted[i]) if predicted[i] else None
        if recall is not None:
            recalls.append(recall)
        per_class.append(
            {"class": label, "support": int(support[i]), "recall": recall, "precision": precision}
        )
    return {
        "per_class": per_class,
        "balanced_accuracy": float(np.mean(recalls)) if recalls else None,
        "confusion_matrix": {"labels": list(classes), "matrix": matrix.tolist()},
    }


def never_predicted(metrics: dict[str, Any] | None) -> str:
    """``"never predicted: snow (6 test rows)"`` for classes with test rows that the
    model never predicts, or "" (for the verdict line)."""
    if not metrics or not metrics.get("per_class"):
        return ""
    missed = [
        f"{c['class']} ({c['support']} test rows)"
        for c in metrics["per_class"]
        if c["support"] and c["precision"] is None
    ]
    return f"never predicted: {', '.join(missed)}" if missed else ""
