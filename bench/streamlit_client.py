"""A browser tab without the browser: what Streamlit 1.67's frontend sends and reads on a page load,
and the server's processes as /proc sees them. Used by bench_load and tests/test_load_protocol.

A page load, as the frontend does it (static/js/index.*.js, ``connectToWebSocket`` and
``sendRerunBackMsg``; server side web/server/starlette/starlette_websocket.py):

1. ``GET /<page>?<query>``: index.html, the same for every page (a first visit also fetches the
   bundles it names, and later the lazy chunk of each element type the page shows).
2. ``GET /_stcore/health`` (sets the ``_streamlit_xsrf`` cookie) and ``GET /_stcore/host-config``.
3. Websocket ``/_stcore/stream`` with subprotocols ``["streamlit", <xsrf cookie or
   "PLACEHOLDER_AUTH_TOKEN">]`` (a third entry, a session id, only when reconnecting), the page's
   Origin and cookies.
4. ``BackMsg.rerun_script``: a ``ClientState`` with the query string, ``page_script_hash=""``
   and ``page_name=<url path>`` (the server matches it to an ``st.Page``'s url path), no widget
   states, no cached message hashes (a fresh tab), and the browser's ``context_info``.
5. ``ForwardMsg``s until ``script_finished`` (``FINISHED_EARLY_FOR_RERUN`` means another run
   follows).

Every connection goes to the loopback interface only, and never through a proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import http.client
import ipaddress
import os
import posixpath
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

ROOT = Path(__file__).resolve().parent.parent
BROWSER_CONNECTIONS = 6  # HTTP/1.1 connections a browser opens per host
XSRF = "_streamlit_xsrf"  # the cookie whose value the websocket sends back as a subprotocol
SHOWN_ALERTS = {Alert.ERROR: "error", Alert.WARNING: "warning"}
# Element types whose lazy chunk is not named after them (index.js imports them by component).
CHUNK_NAMES = {"code": "StreamlitSyntaxHighlighter", "arrow_data_frame": "DataFrame"}


class PageLoad(NamedTuple):
    """What one tab saw: how long until ``script_finished`` and what the page showed."""

    seconds: float
    received: int  # bytes on the wire: HTTP replies and websocket frames
    finished: bool  # script_finished arrived before the deadline
    error: str | None  # an exception element on the page, or why the load failed
    alerts: tuple[str, ...]  # st.error and st.warning texts, "warning: ..."
    pages: tuple[str, ...]  # url paths of the app's pages (navigation message)
    gzipped: int = 0  # static files that came compressed


def loopback(url: str) -> tuple[str, int]:
    """Host and port of a loopback URL; any other address is refused."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"{url}: only loopback addresses (127.0.0.1, localhost) are allowed")
    return host, parts.port or 80


class _Reply(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


class Tab:
    """One browser tab's HTTP/1.1 side: keep-alive connections to one server and its cookies."""

    def __init__(self, url: str) -> None:
        self.host, self.port = loopback(url)
        self.cookies: dict[str, str] = {}
        self.received = 0
        self.gzipped = 0
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(BROWSER_CONNECTIONS)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    async def get(self, path: str) -> _Reply:
        async with self._slots:
            if self._idle:  # a kept-alive connection, unless the server has closed it since
                with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                    return await self._send(*self._idle.pop(), path)
            return await self._send(*await self._open(), path)

    async def _send(self, reader, writer, path: str) -> _Reply:
        try:
            reply = await self._exchange(reader, writer, path)
        except BaseException:
            writer.close()
            raise
        if reply.headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self._idle.append((reader, writer))
        return reply

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port, limit=2**20)

    def close(self) -> None:
        """Close the kept-alive connections, as a closed tab does."""
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()

    async def _exchange(self, reader, writer, path: str) -> _Reply:
        head = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        head += "Accept-Encoding: gzip\r\nConnection: keep-alive\r\n"
        if self.cookies:
            head += f"Cookie: {self.cookie_header}\r\n"
        writer.write((head + "\r\n").encode("latin-1"))
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in filter(None, lines[1:]):
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
            headers[name] = value
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
            self.received += len(raw) + len(body)
        else:  # chunked: size line, chunk, CRLF; a zero size ends it
            chunks = []
            while size := int((line := await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await reader.readexactly(size + 2))
                self.received += len(line) + size + 2
            self.received += len(raw) + len(line) + len(await reader.readuntil(b"\r\n"))
            body = b"".join(chunk[:-2] for chunk in chunks)
        if headers.get("content-encoding") == "gzip":
            self.gzipped += 1
            body = gzip.decompress(body)
        return _Reply(int(lines[0].split()[1]), headers, body)


class _CountingConnection(ClientConnection):
    """A websocket connection that counts the bytes it receives, frames and all."""

    received = 0

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        super().data_received(data)


def rerun_message(url: str, page: str, query: str) -> bytes:
    """The BackMsg a fresh tab sends first: run ``page`` with the link's query string."""
    message = BackMsg()
    state = message.rerun_script
    state.query_string = query
    state.page_script_hash = ""
    state.page_name = page
    info = state.context_info
    info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
    info.url = f"{url}/{page}" + (f"?{query}" if query else "")
    info.is_embedded, info.color_scheme = False, "dark"
    return message.SerializeToString()


async def load_page(
    url: str, page: str = "", query: str = "", *, assets: bool = False, timeout: float = 60
) -> PageLoad:
    """Open ``url/page?query`` as a new tab and read until the script has finished.

    ``assets``: a first visit, which also fetches the static files (index.html's bundles, then
    each shown element type's lazy chunk with its dependencies). A load that does not finish
    within ``timeout`` seconds returns ``finished=False``: the tab is closed, like a user who
    gives up.
    """
    tab, seen, start = Tab(url), _Seen(), time.perf_counter()
    ws: _CountingConnection | None = None
    try:
        async with asyncio.timeout(timeout):
            index = await tab.get(f"/{page}" + (f"?{query}" if query else ""))
            if index.status != 200:
                raise ConnectionError(f"GET /{page}: HTTP {index.status}")
            bundles = await _initial_assets(tab, index.body) if assets else {}
            await tab.get("/_stcore/health")
            await tab.get("/_stcore/host-config")
            headers = {"Cookie": tab.cookie_header} if tab.cookies else None
            ws = await connect(
                f"ws://{tab.host}:{tab.port}/_stcore/stream",
                subprotocols=["streamlit", tab.cookies.get(XSRF, "PLACEHOLDER_AUTH_TOKEN")],
                origin=f"http://{tab.host}:{tab.port}",
                additional_headers=headers,
                proxy=None,
                max_size=None,
                ping_interval=None,
                open_timeout=timeout,
                create_connection=_CountingConnection,
            )
            await ws.send(rerun_message(url, page, query))
            async for data in ws:
                if seen.read(data):
                    break
            else:
                raise ConnectionError(f"websocket closed before script_finished: {ws.close_code}")
            if assets:
                await _lazy_chunks(tab, bundles, seen.types)
    except TimeoutError:
        seen.fail(f"no script_finished within {timeout:g} s")
    except (OSError, ValueError, asyncio.IncompleteReadError, WebSocketException) as failure:
        seen.fail(f"{type(failure).__name__}: {failure}")
    seconds = time.perf_counter() - start
    tab.close()
    if ws is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)
    received = tab.received + (ws.received if ws else 0)
    alerts = tuple(seen.alerts)
    return PageLoad(seconds, received, seen.finished, seen.error, alerts, seen.pages, tab.gzipped)


class _Seen:
    """What a tab has been shown so far."""

    def __init__(self) -> None:
        self.finished = False
        self.error: str | None = None
        self.alerts: list[str] = []
        self.pages: tuple[str, ...] = ()
        self.types: set[str] = set()

    def fail(self, reason: str) -> None:
        self.error = self.error or reason

    def read(self, data: bytes) -> bool:
        """Note what a ForwardMsg shows; True once the script run is over."""
        message = ForwardMsg()
        message.ParseFromString(data)
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            self.types.add(element.WhichOneof("type"))
            if element.HasField("exception"):
                self.fail(f"{element.exception.type}: {element.exception.message}")
            elif element.HasField("alert") and element.alert.format in SHOWN_ALERTS:
                self.alerts.append(f"{SHOWN_ALERTS[element.alert.format]}: {element.alert.body}")
        elif kind == "navigation":
            self.pages = tuple(page.url_pathname for page in message.navigation.app_pages)
        elif kind == "page_not_found":
            self.fail(f"page not found: {message.page_not_found.page_name!r}")
        elif kind == "script_finished":
            if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self.fail("the script did not compile")
            self.finished = message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        return self.finished


async def _fetch_all(tab: Tab, paths: set[str]) -> dict[str, bytes]:
    replies = await asyncio.gather(*(tab.get(f"/{path}") for path in sorted(paths)))
    return {path: reply.body for path, reply in zip(sorted(paths), replies, strict=True)}


_LINKED = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="\./([^"]+)"[^>]*>', re.S)


async def _initial_assets(tab: Tab, index_html: bytes) -> dict[str, bytes]:
    """index.html's scripts, module preloads, style sheet, preloaded font and icon."""
    links = _LINKED.finditer(index_html.decode())
    return await _fetch_all(tab, {m[1] for m in links if 'rel="service-desc"' not in m[0]})


async def _lazy_chunks(tab: Tab, bundles: dict[str, bytes], types: set[str]) -> None:
    """Each shown element type's lazy chunk and its dependencies, as index.js imports them:
    ``lazy(() => H(() => import(`./PlotlyChart.<hash>.js`), __vite__mapDeps([111, 1, ...])))``
    with ``__vite__mapDeps`` indexing one list of file names."""
    entry = next(
        (body for path, body in bundles.items() if path.startswith("static/js/index.")), b""
    ).decode()
    files = re.search(r"m\.f=\[([^\]]*)\]", entry)
    names = re.findall(r'"([^"]+)"', files[1]) if files else []
    wanted: set[str] = set()
    for element_type in types:
        name = CHUNK_NAMES.get(element_type) or element_type.title().replace("_", "")
        lazy = re.search(
            rf"import\(`\./{re.escape(name)}\.[\w-]+\.js`\),__vite__mapDeps\(\[([\d,]*)\]", entry
        )
        if lazy:
            wanted |= {posixpath.normpath(f"static/js/{names[int(i)]}") for i in lazy[1].split(",")}
    await _fetch_all(tab, wanted - set(bundles))


# ---- Server processes ----------------------------------------------------------------------------


class Processes:
    """A server's process tree (a root and its descendants), read from /proc."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots

    def pids(self) -> list[int]:
        """The tree's live processes (a zombie has ended; it waits only to be reaped)."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    state, parent = _stat(int(entry.name))[:2]
                    if state != "Z":
                        parents[int(entry.name)] = int(parent)
        tree = [pid for pid in self.roots if pid in parents]
        for pid in tree:  # grows while it is walked: children of children
            tree += [child for child, parent in parents.items() if parent == pid]
        return tree

    def cpu_seconds(self) -> float:
        """User + system CPU time of every process in the tree, in seconds."""
        ticks = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = _stat(pid)
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def memory(self, kind: str = "Rss") -> dict[str, int]:
        """Memory in bytes per process, keyed ``"<pid> <command>"``: resident (``"Rss"``), or
        held by that process alone (``"Private"``: clean and dirty), from smaps_rollup."""
        sizes = {}
        for pid in self.pids():
            with contextlib.suppress(OSError):
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                name = Path(f"/proc/{pid}/comm").read_text().strip()
                kbs = re.findall(rf"^{kind}\w*:\s+(\d+) kB", rollup, re.M)
                sizes[f"{pid} {name}"] = 1024 * sum(map(int, kbs))
        return sizes


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: state, ppid, ... (utime is [11], stime [12])."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def listener(port: int) -> int:
    """The process listening on a local TCP port (its socket's inode, found among open files)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(f"socket:[{fields[9]}]")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                    return int(entry.name)
    raise LookupError(f"no process of ours listens on port {port}")


class Server(NamedTuple):
    url: str
    processes: Processes


def free_port(span: int = 1) -> int:
    """A port p such that p .. p+span-1 are all free on 127.0.0.1."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + span < 65536 and all(_free(p) for p in range(port, port + span)):
            return port


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def healthy(url: str) -> bool:
    host, port = loopback(url)
    connection = http.client.HTTPConnection(host, port, timeout=2)  # direct, never a proxy
    try:
        connection.request("GET", "/_stcore/health")
        return connection.getresponse().read() == b"ok"
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def serve(replicas: int = 0, *, app: str = "app.py", timeout: float = 120) -> Iterator[Server]:
    """A fresh server on free loopback ports: ``streamlit run <app>`` (``replicas=0``), or
    scripts/serve.sh with that many replicas of app.py behind nginx. Stopped on exit."""
    port = free_port(replicas + 1)
    log = Path(tempfile.mkstemp(prefix="bench-server-", suffix=".log")[1])
    if replicas:
        command = ["bash", "scripts/serve.sh"]
        env = os.environ | {
            "PORT": str(port),
            "REPLICAS": str(replicas),
            "ADDRESS": "127.0.0.1",
            "PYTHON": sys.executable,
        }
    else:
        options = f"--server.port {port} --server.address 127.0.0.1 --server.headless true"
        command = [sys.executable, "-m", "streamlit", "run", app, *options.split()]
        env = dict(os.environ)
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy; its log:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield Server(url, Processes([process.pid]))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a script thread that will not stop
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.unlink()
