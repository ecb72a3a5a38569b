"""One error type for everything a user can get wrong.

The CLI turns a `ReasonlabError` into a one-line message and exit code 2; anything else is a bug
and keeps its traceback.
"""


class ReasonlabError(Exception):
    """Bad input from the user: a path, a name, a parameter or a file line."""
