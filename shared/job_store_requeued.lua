-- A run of the job failed and RQ will run it again (worker.queue.retries): note why; a whole (local) job
-- goes back to QUEUED, with no progress, while a chunk's job keeps its status (its other chunks run on).
-- 1: noted; 0: the job is gone or may not move.
local status = redis.call('HGET', K.record, 'status')
if status == false then return 0 end
local to = status
if A.whole_job == '1' then to = QUEUED end
if not may(status, to) then return 0 end
redis.call('HINCRBY', K.record, 'retries', 1)
redis.call('HSET', K.record, 'last_error', A.error, 'status', to)
if A.whole_job == '1' then redis.call('HSET', K.record, 'chunks_done', 0) end
return 1
