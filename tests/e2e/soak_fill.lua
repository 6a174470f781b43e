-- Finished records, as ended jobs leave them (an expiry, their id in ENDED_IDS): A.count of them, numbered
-- from A.first (tests/e2e/test_soak.py).
for i = tonumber(A.first), tonumber(A.first) + tonumber(A.count) - 1 do
  local id = 'old' .. i
  redis.call('HSET', 'cpuc:job:' .. id, 'id', id, 'status', 'finished', 'spec', string.rep('x', 400))
  redis.call('EXPIRE', 'cpuc:job:' .. id, 86400)
  redis.call('RPUSH', ENDED_IDS, id)
end
