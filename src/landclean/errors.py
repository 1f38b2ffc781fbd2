"""One exception family: the CLI turns any of these into a one-line message."""


class LandcleanError(Exception):
    """Base of every error a user can cause (bad input, bad arguments, wrong workspace)."""


class WorkspaceError(LandcleanError):
    """The workspace file is missing, locked, of another version, or not a workspace."""


class GenerateError(LandcleanError):
    """The synthetic-province generator got impossible settings."""


class ImportError_(LandcleanError):
    """A source file cannot be read; nothing of it was written."""


class PipelineError(LandcleanError):
    """A pipeline stage cannot run (e.g. a required earlier stage is missing)."""


class ReportError(LandcleanError):
    """A report cannot be written."""


class Problems(LandcleanError):
    """Several problems found at once, before any work: each is one line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class SettingsProblem(Problems):
    """A LANDCLEAN_* environment variable has a value that cannot be used."""


class PreflightError(Problems, PipelineError):
    """Settings, files or arguments that would make the work fail, found before it starts."""


def first_line(exc: BaseException) -> str:
    """The first non-empty line of a library's error message (they can run to pages)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
