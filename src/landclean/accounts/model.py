"""An account and what its role lets it see and do (one place for every door's checks)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "province", "commune", "leader")
# the roles that work on every commune; a commune account works on its own only
PROVINCE_WIDE = ("admin", "province", "leader")


@dataclass(frozen=True)
class Account:
    """A person's account: ``communes`` are new communes' codes (role commune only)."""

    login: str
    role: str
    communes: tuple[str, ...] = ()
    disabled: bool = False

    def may_see(self, unit_code: str | None) -> bool:
        """Whether the account may see the records of new commune ``unit_code``."""
        if self.role in PROVINCE_WIDE:
            return True
        return unit_code is not None and unit_code in self.communes

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The communes the account works in; None: every commune."""
        return None if self.role in PROVINCE_WIDE else self.communes

    @property
    def sees_records(self) -> bool:
        """Record pages, findings and the review queue (a leader sees aggregates only)."""
        return self.role != "leader"

    @property
    def edits(self) -> bool:
        """Whether the account may correct records (within its scope)."""
        return self.role in ("province", "commune")

    @property
    def approves(self) -> bool:
        """Whether its corrections of sensitive fields take effect, and it approves
        those communes propose."""
        return self.role == "province"

    @property
    def reveals(self) -> bool:
        """Whether it may reveal a personal value in clear (each reveal is logged)."""
        return self.role in ("province", "commune")

    @property
    def runs_jobs(self) -> bool:
        return self.role in ("admin", "province")

    @property
    def manages_accounts(self) -> bool:
        return self.role == "admin"
