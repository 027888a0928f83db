"""The one error type the command line turns into ``error: <reason>`` and exit status 2."""


class KitError(Exception):
    """Bad input, or an operation the kit refuses; the message is one line a user can act on."""
