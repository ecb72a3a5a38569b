"""reasonlab: efficient LLM reasoning methods, on any Hugging Face model and on a built-in testbed."""

from reasonlab.core.errors import ReasonlabError
from reasonlab.core.passk import majority_vote, pass_at_k
from reasonlab.engines import SamplingParams, create_engine
from reasonlab.models import ThinkFormat, detect_think_format, load_model
from reasonlab.tasks import Problem, Task, create_task, list_tasks

__version__ = "0.1.0"
__all__ = [
    "Problem",
    "ReasonlabError",
    "SamplingParams",
    "Task",
    "ThinkFormat",
    "create_engine",
    "create_task",
    "detect_think_format",
    "list_tasks",
    "load_model",
    "majority_vote",
    "pass_at_k",
]
