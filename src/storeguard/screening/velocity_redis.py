"""Velocity counts in Redis: one sorted set per identifier, summed by a script where the data is."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from storeguard.core.clock import now
from storeguard.core.prepared import Driver
from storeguard.screening.policy import VELOCITY_KINDS, WINDOWS
from storeguard.screening.velocity import VelocityCounts, VelocityKeys, digest

# Every window's sum needs the members of the longest window, so the script walks them where they
# are: sending each identifier's month of members to Python cost a round of parsing per screening,
# and a busy IP can have thousands. KEYS: one sorted set per identifier (member "order_id:amount",
# score the time). ARGV: the range's two bounds, the time, the excluded order id or "", then each
# window's length in seconds. Returns, per key, the count in each window and then the sum.
_COUNT_SCRIPT = """
local at, skip = tonumber(ARGV[3]), ARGV[4]
local spans = {}
for i = 5, #ARGV do spans[#spans + 1] = tonumber(ARGV[i]) end
local out = {}
for _, key in ipairs(KEYS) do
  local counts, sums = {}, {}
  for i = 1, #spans do counts[i] = 0; sums[i] = 0 end
  local found = redis.call('ZRANGEBYSCORE', key, ARGV[1], ARGV[2], 'WITHSCORES')
  for j = 1, #found, 2 do
    local member, score = found[j], tonumber(found[j + 1])
    local sep = string.find(member, ':', 1, true)
    if string.sub(member, 1, sep - 1) ~= skip then
      local amount = tonumber(string.sub(member, sep + 1))
      for i = 1, #spans do
        if score > at - spans[i] then
          counts[i] = counts[i] + 1
          sums[i] = sums[i] + amount
        end
      end
    end
  end
  for i = 1, #spans do out[#out + 1] = counts[i] end
  for i = 1, #spans do out[#out + 1] = sums[i] end
end
return out
"""


class RedisVelocity:
    """Sorted sets per identifier: member ``order_id:amount``, score the order's time in seconds."""

    retention = max(WINDOWS.values())  # the longest window: older members are never counted

    def __init__(self, client: Any, prefix: str = "sg:vel") -> None:
        self.client = client
        self.prefix = prefix

    def key(self, shop_id: int, kind: str, value: str) -> str:
        """Return the Redis key for one identifier."""
        return f"{self.prefix}:{shop_id}:{kind}:{digest(value)}"

    def counts(
        self,
        session: Session | Driver,
        shop_id: int,
        keys: VelocityKeys,
        *,
        at: datetime | None = None,
        exclude_order_id: int | None = None,
    ) -> VelocityCounts:
        """Count and sum every window of every identifier in one script run inside Redis."""
        ts = (at or now()).timestamp()
        present = [(k, v) for k, v in keys.items() if v and k in VELOCITY_KINDS]
        result = VelocityCounts()
        if not present:
            return result
        # Bounds as Python writes them (Lua would round a timestamp to 14 digits); strictly before
        # ``at``: the order being screened is never its own velocity, nor is the excluded one.
        args = [f"({ts - self.retention!r}", f"({ts!r}", repr(ts), str(exclude_order_id or "")]
        answer = self._count_script(
            keys=[self.key(shop_id, kind, value) for kind, value in present],
            args=args + [str(seconds) for seconds in WINDOWS.values()],
        )
        width = 2 * len(WINDOWS)
        for n, (kind, _) in enumerate(present):
            row = answer[n * width : (n + 1) * width]
            for i, w in enumerate(WINDOWS):
                result.orders[(kind, w)] = int(row[i])
                result.amounts[(kind, w)] = int(row[len(WINDOWS) + i])
        return result

    @cached_property
    def _count_script(self) -> Any:
        return self.client.register_script(_COUNT_SCRIPT)

    def record(
        self,
        session: Session,
        shop_id: int,
        keys: VelocityKeys,
        *,
        order_id: int,
        amount: int,
        at: datetime | None = None,
    ) -> None:
        """Add the order to its identifiers' sets once the transaction commits, never before."""
        ts = (at or now()).timestamp()
        session.connection()  # make sure a transaction is open, so its rollback drops these
        pending: list[tuple[str, str, float]] = session.info.setdefault("sg_velocity_pending", [])
        for kind, value in keys.items():
            if value and kind in VELOCITY_KINDS:
                pending.append((self.key(shop_id, kind, value), f"{order_id}:{amount}", ts))
        if not session.info.get("sg_velocity_hooked"):
            session.info["sg_velocity_hooked"] = True
            event.listen(session, "after_commit", self._flush_pending)
            event.listen(session, "after_soft_rollback", self._drop_pending)

    def _flush_pending(self, session: Session) -> None:
        pending = session.info.pop("sg_velocity_pending", [])
        if not pending:
            return
        pipe = self.client.pipeline(transaction=False)
        for key, member, ts in pending:
            pipe.zadd(key, {member: ts})
            pipe.zremrangebyscore(key, "-inf", f"({ts - self.retention}")
            pipe.expire(key, self.retention + 3600)
        pipe.execute()

    @staticmethod
    def _drop_pending(session: Session, _previous: object = None) -> None:
        session.info.pop("sg_velocity_pending", None)
