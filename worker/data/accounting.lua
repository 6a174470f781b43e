-- A run's bytes read and pickled, added to the job's record (worker/data/accounting.py) only while the
-- record exists: never a record of two fields for an expired job. 1: added; 0: no record.
if redis.call('EXISTS', K.record) == 0 then return 0 end
redis.call('HINCRBY', K.record, 'bytes_read', A.read)
redis.call('HINCRBY', K.record, 'bytes_pickled', A.pickled)
return 1
