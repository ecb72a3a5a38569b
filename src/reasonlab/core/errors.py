"""One error type for everything a user can get wrong.

The CLI turns a `ReasonlabError` into a one-line message and exit code 2; anything else is a bug
and keeps its traceback. Config checks name a field as Python users know it ("num_problems must be at
least 1"); the CLI spells such fields as the flags a user typed ("--num-problems"), see
`reasonlab.cli.common.flag_errors`.
"""


class ReasonlabError(Exception):
    """Bad input from the user: a path, a name, a parameter or a file line."""
