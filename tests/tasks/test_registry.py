"""The task registry refuses to replace a task by accident."""

import pytest

from reasonlab.core.errors import ReasonlabError
from reasonlab.tasks import base, create_task, list_tasks, register_task
from reasonlab.tasks.arith import ArithTask


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry, so that no test leaves a task behind."""
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))


def test_registering_a_taken_name_is_a_one_line_error(registry):
    class Other(ArithTask):
        description = "not arith"

    with pytest.raises(ReasonlabError, match=r"^task 'arith' is already registered \(.*ArithTask\); "):
        register_task("arith")(Other)
    assert list_tasks()["arith"] == ArithTask.description
    assert type(create_task("arith")) is ArithTask and ArithTask.name == "arith"


def test_overwrite_replaces_it(registry):
    class Other(ArithTask):
        description = "replaced arith"

    register_task("arith", overwrite=True)(Other)
    assert list_tasks()["arith"] == "replaced arith"


def test_a_new_name_registers(registry):
    @register_task("arith-copy")
    class Copy(ArithTask):
        pass

    assert Copy.name == "arith-copy" and "arith-copy" in list_tasks()
