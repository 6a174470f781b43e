-- End the job with A.status, and A.fields (name, value, ...) set in the same step; a finished local job
-- also credits its chunks to the container that ran them (A.host '' credits none), so no reader sees
-- "finished" without "where". 1: ended; 0: it may not (it had ended); -1: no such job.
local status = redis.call('HGET', K.record, 'status')
if status == false then return -1 end
if not may(status, A.status) then executed(K.record, 'all', A.host, 0) return 0 end
if A.host ~= '' then redis.call('HINCRBY', K.hosts, A.host, A.chunks) end
if #A.fields > 0 then redis.call('HSET', K.record, unpack(A.fields)) end
end_job(K.record, K.metrics, A.status, A.now, A.ttl, A.keep, A.trim_share)
executed(K.record, 'all', A.host, 1)
return 1
