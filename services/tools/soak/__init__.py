"""`make soak`: drive the running stack as fast as it accepts work for DURATION, watching its memory."""
