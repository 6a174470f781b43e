"""uvicorn's server, waking once a second instead of ten times: an idle API costs next to nothing.

uvicorn's `Server.main_loop` sleeps 0.1 s between ticks, forever, to refresh the Date header (once a
second) and to notice a shutdown request. On the cores the workers compute on, those ten wake-ups a
second were most of an idle API's CPU (`make idle`). This loop ticks once a second and passes
`on_tick` the counter uvicorn would have reached, so the header is refreshed on every tick; a shutdown
is noticed within a second. `main_loop` and `on_tick` are uvicorn's, not its documented API:
tests/api/test_server.py fails if they change shape, and checks the wake-ups themselves.
"""

import asyncio

import uvicorn

TICK_SECONDS = 1.0
# uvicorn's own tick, and the counter's wrap-around: on_tick refreshes the headers when counter % 10 == 0.
UVICORN_TICKS_PER_SECOND = 10
UVICORN_COUNTER_WRAP = 864000


class QuietServer(uvicorn.Server):
    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + UVICORN_TICKS_PER_SECOND) % UVICORN_COUNTER_WRAP
            await asyncio.sleep(TICK_SECONDS)
            should_exit = await self.on_tick(counter)
