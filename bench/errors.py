"""Errors that mean the user asked for something wrong: the CLI prints them and exits with 2."""


class BadInput(Exception):
    """Bad usage or bad input. The message says what is wrong and what was expected."""


EXIT_OK, EXIT_REGRESSION, EXIT_BAD_INPUT = 0, 1, 2
