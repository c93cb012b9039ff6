"""python-telegram-bot's HTTP backend on aiohttp's client.

PTB sends Bot API requests through httpx by default. Under load its cost is
less the bytes than the calls around them: httpx/httpcore/anyio ask the
socket for its peer name and poll it for readability several times per
request, and every one of those system calls hands the GIL to the core's
dispatcher threads and waits to get it back. The event loop thread then
queues behind the database work (bench/load_telegram.py; docs/benchmarks.md).
aiohttp, already the webhook server, sends a request with one write and
reads the answer through the event loop.

PTB supports this: :class:`telegram.request.BaseRequest` is its documented
extension point, and this class keeps HTTPXRequest's defaults and errors
(timeouts raise :class:`~telegram.error.TimedOut`, other transport errors
:class:`~telegram.error.NetworkError`; a timeout after the request went out
is :class:`AnswerTimedOut`, which the outbox does not send again), so the rest of PTB (the rate
limiter, retry_after, Message parsing) is unchanged.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AnswerTimedOut(TimedOut):
    """The request went out whole and its answer did not come in time: Telegram
    may have acted on it (a message may be in the chat), so it is not repeated."""


log = logging.getLogger(__name__)  # its URLs hold the token: app.URL_LOGGERS redacts them

_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # PTB's "not given" marker


def _given(value: object, default: float | None) -> float | None:
    return default if isinstance(value, _DEFAULT) else value  # type: ignore[return-value]


class AiohttpRequest(BaseRequest):
    """A :class:`BaseRequest` on one :class:`aiohttp.ClientSession` (made by ``initialize``).

    The timeouts have HTTPXRequest's meaning and defaults: ``pool_timeout``
    to get a connection from the pool, ``connect_timeout`` to open one,
    ``read_timeout`` between bytes of the answer, and ``write_timeout`` (or
    ``media_write_timeout`` for uploads) added to the request's overall bound.
    """

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`BaseRequest.do_request`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            # The whole request's bound, as httpx's four phases add up to.
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if fields and not files:
            # Encoded here, as httpx does: given a dict, aiohttp builds a FormData,
            # whose multipart writer draws a uuid4 boundary on every request even
            # when the body goes out urlencoded (17% of a webhook worker's event
            # loop under load, measured with py-spy).
            body = urlencode(fields).encode()
            headers = _FORM
        if files:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, upload in files.items():
                if isinstance(upload, tuple):
                    filename, data, *mimetype = upload
                    form.add_field(
                        name,
                        data,
                        filename=filename,
                        content_type=mimetype[0] if mimetype else None,
                    )
                else:
                    form.add_field(name, upload)
            body = form
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as res:
                content = await res.read()
        except aiohttp.ConnectionTimeoutError as err:  # no connection: nothing was sent
            raise TimedOut from err
        except TimeoutError as err:  # reading the answer (or the overall bound): it went out
            raise AnswerTimedOut from err
        except aiohttp.ClientError as err:
            # The class name says what failed when the message is empty (as PTB does for httpx).
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        if log.isEnabledFor(logging.DEBUG):
            log.debug('HTTP Request: %s %s "%d %s"', method, url, res.status, res.reason)
        return res.status, content
