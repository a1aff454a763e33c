"""total-transferred-chats: transfer-history messages per department of their room.

Runs on `rocketchat_message`: messages of type `livechat_transfer_history` sent in the window,
joined to their room by `rid` (`metrics.TRANSFERS`). Every message counts (not distinct rooms).
A message whose room is gone keeps counting, under the null department. With `departmentId`,
only messages whose room is in it count. Output rows: `{_id, numberOfTransferredRooms: int}`.
"""

from pipelines import metrics
from pipelines.params import ReportParams
from pipelines.stages import Stage, department_filter, department_report

MESSAGES = metrics.MESSAGES
TRANSFER = metrics.TRANSFER
METRIC = "numberOfTransferredRooms"


def build(params: ReportParams) -> list[Stage]:
    definition, timeout = metrics.TRANSFERS, params.inactivity_timeout
    joins = definition.joins()
    if params.department_id is not None:
        joins.append({"$match": department_filter(params, field=definition.department_field)})
    return department_report(
        match=definition.match(params.start, params.end, timeout),
        joins=joins,
        group_key=f"${definition.department_field}",
        accumulators=definition.accumulators(timeout),
        metric=METRIC,
        page=params.page,
    )
