-- The fields FIELDS of each record in K.records (its key: .record) created at or after A.since (Unix
-- seconds), in that order (services/tools/history/stored.py).
local since = tonumber(A.since)
local out = {}
for _, each in ipairs(K.records) do
  local row = redis.call('HMGET', each.record, unpack(FIELDS))
  if row[2] and tonumber(row[2]) >= since then table.insert(out, row) end
end
return out
