"""total-transferred-chats: transfer-history messages per department of their room.

Runs on `rocketchat_message`: messages of type `livechat_transfer_history` sent in the window,
joined to their room by `rid`. Every message counts (not distinct rooms). A message whose room
is gone keeps counting, under the null department: Rocket.Chat unwinds the joined room with
`preserveNullAndEmptyArrays`. With `departmentId`, only messages whose room is in it count.
Output rows: `{_id, numberOfTransferredRooms: int}`.
"""

from pipelines.params import ReportParams
from pipelines.stages import Stage, department_filter, department_report, ts_between

MESSAGES = "rocketchat_message"
TRANSFER = "livechat_transfer_history"
METRIC = "numberOfTransferredRooms"


def _room_of_each_message(params: ReportParams) -> list[Stage]:
    stages: list[Stage] = [
        {
            "$lookup": {
                "from": "rocketchat_room",
                "localField": "rid",
                "foreignField": "_id",
                "as": "room",
            }
        },
        {"$unwind": {"path": "$room", "preserveNullAndEmptyArrays": True}},
    ]
    if params.department_id is not None:
        stages.append({"$match": department_filter(params, field="room.departmentId")})
    return stages


def build(params: ReportParams) -> list[Stage]:
    return department_report(
        match={"t": TRANSFER, "ts": ts_between(params)},
        joins=_room_of_each_message(params),
        group_key="$room.departmentId",
        accumulators={METRIC: {"$sum": 1}},
        metric=METRIC,
        page=params.page,
    )
