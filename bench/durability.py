"""What always-fsync costs: the same pipelined JetStream publishes (with message ids, acknowledged)
into a file-storage stream on nats-server with its default `sync_interval` (the operating system
flushes; nats-server forces a sync every 2 minutes) and with `sync_interval: always` (an fsync per
write), in the same run on the same disk. `python -m bench.durability`."""

import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import nats
from nats.js.api import StorageType, StreamConfig

from bench.results import save
from cognitest.infra.embedded.services import ServiceSpec, _tool
from cognitest.infra.embedded.supervisor import Supervisor, free_port


async def _rate(port: int, messages: int) -> float:
    nc = await nats.connect(f"nats://127.0.0.1:{port}")
    js = nc.jetstream(publish_async_max_pending=4000)
    await js.add_stream(StreamConfig(name="BENCH", subjects=["bench.>"], storage=StorageType.FILE))
    body = b"x" * 600  # about an event's size
    started = time.perf_counter()
    futures = [await js.publish_async("bench.e", body, headers={"Nats-Msg-Id": str(uuid.uuid4())})
               for _ in range(messages)]
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await nc.close()
    return messages / elapsed


async def main(messages: int = 20_000) -> dict[str, Any]:
    supervisor = Supervisor(echo=False)
    result: dict[str, Any] = {"messages": messages}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for label, sync in (("default", None), ("always", "always")):
                store = Path(tmp) / label
                conf = Path(tmp) / f"{label}.conf"
                conf.write_text(f'jetstream {{\n  store_dir: "{store}"\n' + (f'  sync_interval: "{sync}"\n' if sync else "") + "}\n")
                port = free_port()
                await supervisor.start(ServiceSpec(name=label, port=port, argv=[
                    _tool("nats-server"), "-c", str(conf), "-a", "127.0.0.1", "-p", str(port)]))
                result[f"{label}_per_s"] = round(await _rate(port, messages))
                await supervisor.stop(label)
        finally:
            await supervisor.stop_all()
    result["always_vs_default"] = round(result["always_per_s"] / result["default_per_s"], 3)
    print(f"{'sync_interval':<16}{'acknowledged publishes/s':>26}")
    print(f"{'default (2m)':<16}{result['default_per_s']:>26,}")
    print(f"{'always':<16}{result['always_per_s']:>26,}   ({result['always_vs_default']:.2f}x)")
    save("durability", result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
