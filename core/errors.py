"""Domain errors. Each carries a sentence a person understands; every interface maps them to a 4xx."""


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PhotoRejected(DomainError):
    pass


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404
