"""The decision tables of OUTLOOK_RULES.md, turned into the steps of one entity's run.

`EntityPlanner` reads what changed on each side, the stored links, and candidates by stamp and
by key, and decides in this order:

1. linked pairs touched by a change on either side (section 3), grouped per CRM record;
2. Outlook items that carry a stamp but have no link (section 4, rows 3 and 4);
3. CRM records without a link, matched by stamp, then by key, else created in Outlook
   (section 2 step 1 and section 4 row 1; CRM to Outlook and bidirectional);
4. Outlook items without a stamp or a link, matched by key, else created in the CRM
   (section 2 step 2 and section 4 row 2; Outlook to CRM and bidirectional).

Nothing is written here: the planner only reads the stores.
"""

from __future__ import annotations

from outlooksync.engine.decide.base import ItemState
from outlooksync.engine.decide.linked import LinkedPairDecisions
from outlooksync.engine.decide.unlinked import UnlinkedDecisions
from outlooksync.engine.plan import Step


class EntityPlanner(LinkedPairDecisions, UnlinkedDecisions):
    """Decides the steps of one run for one rep and one entity."""

    def plan(self) -> list[Step]:
        """Every step of this entity's run, in the order the module docstring gives."""
        self.plan_linked_pairs()
        self.plan_stamped_items_without_link()
        if self.writes_outlook:
            self.plan_records_without_link()
        if self.writes_crm:
            self.plan_items_without_stamp()
        return self.steps


__all__ = ["EntityPlanner", "ItemState"]
