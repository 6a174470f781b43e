-- A run's bytes read and pickled (worker/data/accounting.py), in one step: added to the stack's totals
-- (shared/bytes_moved.py) always, and to the job's record only while it exists: never a record of two
-- fields for an expired job. 1: added to the record too; 0: no record.
redis.call('HINCRBY', K.totals, 'read', A.read)
redis.call('HINCRBY', K.totals, 'pickled', A.pickled)
if redis.call('EXISTS', K.record) == 0 then return 0 end
redis.call('HINCRBY', K.record, 'bytes_read', A.read)
redis.call('HINCRBY', K.record, 'bytes_pickled', A.pickled)
return 1
