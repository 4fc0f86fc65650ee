"""What the workbench remembers per store between launches: the form's config, the
dataset and the tab shown. Saved in the store itself (``ui_settings``), so each store
opens as it was left and two stores never mix their settings.

Restoring is best effort: a saved value that no longer validates (a CSV moved away is
still fine to show; a field renamed by a newer version is not) is dropped quietly and
the defaults are used, because a remembered setting must never stop the app opening.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.config import RunConfig
from core.datasets import DatasetSpec
from core.errors import PerceptuneError

if TYPE_CHECKING:
    from core.store import RunStore

#: The key of the workbench's settings in the store's ``ui_settings``.
SESSION_KEY = "workbench"


@dataclass(frozen=True)
class Session:
    """What a launch restores; None where nothing (valid) was saved."""

    config: RunConfig | None = None
    dataset: DatasetSpec | None = None
    tab: str | None = None


def load_session(store: RunStore, tabs: tuple[str, ...]) -> Session:
    """The settings saved for ``store``; ``tabs``: the tab names that exist now."""
    try:
        saved = store.get_setting(SESSION_KEY) or {}
    except PerceptuneError:
        return Session()
    config = dataset = None
    try:
        if isinstance(saved.get("config"), dict):
            config = RunConfig.from_mapping(saved["config"])
    except PerceptuneError:
        config = None
    try:
        if isinstance(saved.get("dataset"), dict):
            dataset = DatasetSpec.from_mapping(saved["dataset"])
    except PerceptuneError:
        dataset = None
    tab = saved.get("tab")
    return Session(config, dataset, tab if tab in tabs else None)


def save_session(store: RunStore, session: Session) -> None:
    """Remember ``session`` for ``store``; the parts that are None keep what was saved."""
    try:
        saved = store.get_setting(SESSION_KEY) or {}
        if session.config is not None:
            saved["config"] = session.config.to_dict()
        if session.dataset is not None:
            saved["dataset"] = {
                key: value for key, value in session.dataset.to_dict().items() if value is not None
            }
        if session.tab is not None:
            saved["tab"] = session.tab
        store.put_setting(SESSION_KEY, saved)
    except PerceptuneError:
        pass  # a read-only or full store: the runs matter, the settings do not
