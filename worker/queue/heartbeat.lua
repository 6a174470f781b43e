-- A point of the host's CPU series (worker/queue/heartbeat.py), appended by the holder of the host's
-- series-writer lease only. K.lease: the lease, held by A.worker_name for A.lease_ttl seconds; K.series:
-- the series, A.length points at most, kept A.series_ttl seconds past its last point. 1: appended; 0:
-- another worker holds the lease.
local owner = redis.call('GET', K.lease)
if owner and owner ~= A.worker_name then return 0 end
redis.call('SET', K.lease, A.worker_name, 'EX', A.lease_ttl)
redis.call('RPUSH', K.series, A.point)
redis.call('LTRIM', K.series, -tonumber(A.length), -1)
redis.call('EXPIRE', K.series, A.series_ttl)
return 1
