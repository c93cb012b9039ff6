"""Errors the person in the chat sees."""


class UserError(Exception):
    """Bad input or a refused action: the message says what to do next.

    Raised anywhere in a handler, it rolls the unit of work back, so a
    refused action changes nothing, and the message is the reply.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
