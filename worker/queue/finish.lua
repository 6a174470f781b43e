-- LeanWorker's finish of any RQ job (worker/queue/lean.py): what RQ's handle_job_success does for a job
-- without dependents: `finished` status, a Result in the job's result stream, the FinishedJobRegistry,
-- the result TTL (on the job and its dependencies set, as RQ's Job.cleanup), the execution cleaned up,
-- the worker's counters. 0 (nothing written) if the job has dependents: RQ's own code finishes it then.
if redis.call('EXISTS', K.job .. ':dependents') == 1 then return 0 end
local ttl = tonumber(A.result_ttl)
local composite = A.id .. ':' .. A.execution_id
redis.call('HSET', K.job, 'status', 'finished', 'ended_at', A.now_text, 'last_heartbeat', A.now_text)
local result_key = A.results_prefix .. A.id
redis.call('XADD', result_key, 'MAXLEN', 10, '*', unpack(A.result))
redis.call('EXPIRE', result_key, ttl)
redis.call('ZADD', K.finished, tonumber(A.now) + ttl, A.id)
redis.call('EXPIRE', K.job, ttl)
redis.call('EXPIRE', K.dependencies, ttl)
redis.call('DEL', A.execution_prefix .. composite)
redis.call('ZREM', K.started, composite)
redis.call('ZREM', A.executions_prefix .. A.id, A.execution_id)
redis.call('SREM', K.executions, composite)
redis.call('HINCRBY', K.worker, 'successful_job_count', 1)
redis.call('HINCRBYFLOAT', K.worker, 'total_working_time', A.working_seconds)
redis.call('HSET', K.worker, 'state', 'idle')
return 1
