-- `our_entry(id)`: the job id and chunk index ('' for a whole job) that a queue entry's id names
-- (shared.entries); nil if the id is not of that form. JOB_ID_LENGTH: a job id's hex digits.
local function our_entry(id)
  local job, index = string.match(id, '^(%x+)%-(%d+)$')
  if job == nil then job, index = string.match(id, '^(%x+)$'), '' end
  if job == nil or #job ~= JOB_ID_LENGTH then return nil end
  return job, index
end
