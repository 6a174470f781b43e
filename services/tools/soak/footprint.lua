-- MEMORY USAGE summed by key kind (a job id, 32 hex digits, and a chunk's suffix read as <id>), over the
-- first A.limit keys SCAN gives: what each kind of record costs, measured on the stack's own Redis
-- (services/tools/soak/sampler.py). One line per kind: "<kind> <keys> <bytes>".
local hex = string.rep('%x', 32)
local cursor, seen, kinds = '0', 0, {}
repeat
  local reply = redis.call('SCAN', cursor, 'COUNT', 500)
  cursor = reply[1]
  for _, key in ipairs(reply[2]) do
    local kind = string.gsub(string.gsub(key, hex, '<id>'), '<id>%-%d+', '<id>')
    local row = kinds[kind] or {0, 0}
    row[1] = row[1] + 1
    row[2] = row[2] + (redis.call('MEMORY', 'USAGE', key) or 0)
    kinds[kind] = row
    seen = seen + 1
  end
until cursor == '0' or seen >= tonumber(A.limit)
local out = {}
for kind, row in pairs(kinds) do table.insert(out, kind .. ' ' .. row[1] .. ' ' .. row[2]) end
return out
