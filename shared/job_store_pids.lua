-- A local job's processes, noted after its run as its record's fields 'pid:<host>:<pid>' (they share the
-- record's expiry); nothing if the record is gone (ended and trimmed meanwhile).
if redis.call('EXISTS', K.record) == 0 then return 0 end
local fields = {}
for _, pid in ipairs(A.pids) do
  fields[#fields + 1] = 'pid:' .. pid
  fields[#fields + 1] = 1
end
redis.call('HSET', K.record, unpack(fields))
return 1
