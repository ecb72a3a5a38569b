"""reasonlab: efficient LLM reasoning methods, on any Hugging Face model and on a built-in testbed.

The public names are imported on first use (PEP 562), so `reasonlab --help` and a bad flag do not
pay for importing torch and transformers.

This module sits above every layer, so it is where the layers are wired together: it registers the
testbed's model handles with the models layer, which therefore never imports the testbed. Every
import of a reasonlab module runs this first, so `testbed:<name>` works however the user starts.
"""

from importlib import import_module

from reasonlab.models.registry import register_handles

__version__ = "0.1.0"


def _testbed_handles():
    from reasonlab.testbed.handles import handles  # imported on the first lookup of a handle

    return handles()


register_handles("testbed", _testbed_handles)

_EXPORTS = {
    "Problem": "reasonlab.tasks",
    "ReasonlabError": "reasonlab.core.errors",
    "SamplingParams": "reasonlab.engines",
    "Task": "reasonlab.tasks",
    "ThinkFormat": "reasonlab.models",
    "create_engine": "reasonlab.engines",
    "create_task": "reasonlab.tasks",
    "detect_think_format": "reasonlab.models",
    "list_tasks": "reasonlab.tasks",
    "load_model": "reasonlab.models",
    "majority_vote": "reasonlab.core.passk",
    "pass_at_k": "reasonlab.core.passk",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'reasonlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
