"""One error hierarchy. Messages are shown to people as they are: say what happened and what to do."""


class RagError(Exception):
    """Base: the message is a one-line, user-facing explanation."""

    exit_code = 1


class ConfigError(RagError):
    """A setting is wrong or a required model/file is missing."""

    exit_code = 2


class DocumentError(RagError):
    """One file could not be ingested; the batch goes on."""


class UnsupportedTypeError(DocumentError):
    pass


class IndexMismatchError(RagError):
    """The index was built with another embedder or chunking than the settings say."""


class IndexBusyError(RagError):
    """Another process holds the index write lock (exit code 3: try again later, nothing failed)."""

    exit_code = 3


class GeneratorError(RagError):
    """The answer generator failed (model missing, endpoint unreachable, auth...)."""


class StoreError(RagError):
    """The vector store is unreachable or inconsistent (exit code 4: nothing was indexed)."""

    exit_code = 4


class NotAllowedError(RagError):
    """An admin action (removing documents...) asked for without the admin password."""

    exit_code = 2
