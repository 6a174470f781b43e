-- An upload's next block (services/api/datasets.py): A.block appended to K.upload, which lives A.ttl
-- seconds past its last append. {size} after the append, or {-1, used, maxmemory} when Redis would use
-- more than A.share of its maxmemory with it (nothing appended).
local memory = redis.call('INFO', 'memory')
local used = tonumber(string.match(memory, 'used_memory:(%d+)'))
local maxmemory = tonumber(string.match(memory, 'maxmemory:(%d+)'))
if maxmemory > 0 and used + string.len(A.block) > maxmemory * tonumber(A.share) then
  return {-1, used, maxmemory}
end
local size = redis.call('APPEND', K.upload, A.block)
redis.call('EXPIRE', K.upload, A.ttl)
return {size}
