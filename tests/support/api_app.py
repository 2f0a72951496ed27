"""A small FastAPI service the API runner is tested against, served by uvicorn on 127.0.0.1."""

import threading
import time

import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

from cognitest.infra.embedded.supervisor import free_port, port_in_use


class NewItem(BaseModel):
    name: str
    price: float


def build() -> FastAPI:
    app = FastAPI()
    items: dict[int, dict] = {}

    @app.post("/token")
    def token() -> dict:
        return {"access_token": "t0k3n", "token_type": "bearer"}

    @app.post("/items", status_code=201)
    def create(item: NewItem, authorization: str = Header("")) -> dict:
        if authorization != "Bearer t0k3n":
            raise HTTPException(401, "missing token")
        new = {"id": len(items) + 1, **item.model_dump()}
        items[new["id"]] = new
        return new

    @app.get("/items/{item_id}")
    def read(item_id: int) -> dict:
        if item_id not in items:
            raise HTTPException(404, "no such item")
        return items[item_id]

    return app


class ApiApp:
    def __init__(self) -> None:
        port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(build(), host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while not port_in_use(port):
            if time.monotonic() > deadline:
                raise RuntimeError("the FastAPI test app did not start")
            time.sleep(0.05)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
