-- End the job with A.status, and A.fields (name, value, ...) set in the same step; a finished local job
-- also credits its chunks to the container that ran them (A.host '' credits none), so no reader sees
-- "finished" without "where"; the chunks a split job merged so far are folded into its record (their
-- CPU seconds and where they ran; its answer only a finished job has). 1: ended; 0: it may not (it had
-- ended); -1: no such job.
local f = redis.call('HMGET', K.record, 'status', 'retries', unpack(END_READ))
if f[1] == false then return -1 end
if not may(f[1], A.status) then executed(K.record, 'all', A.host, f[2], 0) return 0 end
local read = {unpack(f, 3)}
local fields = A.fields
if A.host ~= '' then
  fields[#fields + 1] = 'host:' .. A.host
  fields[#fields + 1] = A.chunks
end
local merged = nil
if read[5] ~= 'local' then
  merged = K.merged
  folded(merged, false, fields)
end
end_job(K.record, K.metrics, A.status, A.now, A.ttl, A.keep, A.trim_share, execution_note('all', A.host, f[2], 1),
        fields, read, merged)
return 1
