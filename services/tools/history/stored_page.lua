-- A page of A.count entries of the EXECUTIONS stream from A.start (a stream id; "(" + id: after it).
return redis.call('XRANGE', EXECUTIONS, A.start, '+', 'COUNT', A.count)
