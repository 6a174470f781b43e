-- End the job with A.status, and A.fields (name, value, ...) set in the same step; a finished local job
-- also credits its chunks to the container that ran them (A.host '' credits none), so no reader sees
-- "finished" without "where". 1: ended; 0: it may not (it had ended); -1: no such job.
local f = redis.call('HMGET', K.record, 'status', 'retries')
if f[1] == false then return -1 end
if not may(f[1], A.status) then executed(K.record, 'all', A.host, f[2], 0) return 0 end
if A.host ~= '' then redis.call('HINCRBY', K.hosts, A.host, A.chunks) end
if #A.fields > 0 then redis.call('HSET', K.record, unpack(A.fields)) end
end_job(K.record, K.metrics, A.status, A.now, A.ttl, A.keep, A.trim_share, execution_note('all', A.host, f[2], 1))
return 1
