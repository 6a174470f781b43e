-- A local job's processes, noted after its run: they take the record's expiry, none while it has none
-- (not ended yet), A.ttl (RESULT_TTL) if the record is gone (ended and trimmed meanwhile).
redis.call('SADD', K.pids, unpack(A.pids))
local ttl = redis.call('PTTL', K.record)
if ttl > 0 then redis.call('PEXPIRE', K.pids, ttl)
elseif ttl == -2 then redis.call('EXPIRE', K.pids, A.ttl) end
