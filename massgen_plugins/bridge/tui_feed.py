"""One MassGen app's events through a plugin chain: MassGen never waits, no event lost or repeated.

MassGen calls `TextualApp._handle_event_from_emitter(event)` from its backend and orchestrator
threads. Through the bridge, that call only numbers the event and queues it (`Feed.take`). A
daemon thread of the app's own, the pump, builds the chain on the first event (loading the
plugins, `wrap_event_sink`) and hands it the events in order; the chain's end (`Terminal`)
gives each to MassGen's own method, as a MassGenEvent again. A second daemon thread, the
watch, times every call into plugin code: each plugin's sink sits behind a `Guard` that notes
the call and catches whatever it raises.

Exactly once: every event the pump feeds carries its number (`Event.seq`), and a sink that
merges or supersedes events gives the result the `seq` of the last it stands for, passing on
the events of one agent and type in order (the contract in hookspecs.wrap_event_sink). The
terminal notes, per agent and type, the highest `seq` delivered; an event is delivered when
its number is at most that. Every event taken stays in `log` until it is delivered.

When a plugin's sink raises (anything, BaseException included), when one of its calls or an
event it took has waited longer than `deadlines.event_sink`, or when building the chain fails,
the app is switched to MassGen's direct path (`drop`): under the lock the terminal takes, the
terminal is fenced (whatever the chain hands it later is refused), every event taken and not
delivered goes to MassGen's own method in order, and later events go straight there. One
warning line names the plugin and what happened. A plugin's threads may go on in the
background, stuck or not: they are daemons, and nothing they do reaches MassGen any more.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from massgen_plugins.bridge import runtime
from massgen_plugins.deadline import seconds
from massgen_plugins.host import DEFAULT_DEADLINES

_FLUSH, _CLOSE, _STOP = "flush", "close", "stop"
FALLBACK = "MassGen's TUI gets its events directly from now on"


def _gone(event: Any) -> None:
    """MassGen's method once the feed has let go of it: never called (the terminal is fenced)."""


class _Entry:
    """One event MassGen handed the app, until it is delivered."""

    __slots__ = ("at", "event", "fed", "key", "seq")

    def __init__(self, seq: int, event: Any, at: float) -> None:
        self.seq, self.event, self.at = seq, event, at
        self.key: tuple[Any, Any] | None = None  # (agent, type), once read
        self.fed: float | None = None  # when the chain took it


class Feed:
    """One app's hand-off from MassGen's threads to its plugin chain and back to MassGen."""

    def __init__(self, deliver: Callable[[Any], Any], convert: Callable[[Any], Any],
                 read: Callable[[Any], Any], setup: Callable[[Feed], tuple[Any, Any]],
                 on_chain: Callable[[], Any] = lambda: None,
                 on_drop: Callable[[], Any] = lambda: None) -> None:
        """`deliver`: MassGen's own method; `convert`/`read`: our Event to MassGen's and back.

        `setup(feed)` builds the chain around `feed.terminal` with `feed.guard` and returns it
        with its classifier, or (None, None) when no plugin wraps it. `on_chain` is called once
        the chain runs, `on_drop` once it is dropped after that.
        """
        self.deliver, self.convert, self.read, self.setup = deliver, convert, read, setup
        self.terminal = Terminal(self)
        self.lock = threading.Lock()
        self.log: deque[_Entry] = deque()  # taken, not yet delivered (oldest first)
        self.base = 0  # the seq of log[0]
        self.next_seq = 0
        # (agent, type) -> highest seq; None (an event's key not read yet) is never a key
        self.delivered: dict[tuple[Any, Any] | None, int] = {}
        self.refused = 0  # what the chain handed on late (after a drop) or again
        # The chain is dropped: the terminal refuses everything, and every event it held was
        # delivered (under the lock that sets it), so later ones go straight to MassGen.
        self.fenced = False
        self.direct = False  # and the drop is over (its warning written)
        self.chain: Any = None
        self.classify: Any = None
        self.plugins: list[str] = []  # the chain's, innermost first
        self._guards: list[Guard] = []
        self.event_deadline = DEFAULT_DEADLINES["event_sink"]
        self.on_chain, self.on_drop = on_chain, on_drop
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._local = threading.local()
        self._stacks: dict[int, list[tuple[str | None, str, float, float]]] = {}
        self._stop = threading.Event()
        self._closed = threading.Event()
        for target, name in ((self._pump, "pump"), (self._watch, "watch")):
            threading.Thread(target=target, name=f"massgen-plugins tui {name}",
                             daemon=True).start()

    # -- MassGen's side --------------------------------------------------------------------

    def take(self, event: Any) -> bool:
        """Queue one of MassGen's events for the chain; False when it goes straight to MassGen."""
        now = time.monotonic()
        with self.lock:
            if self.fenced:  # what the chain held went to MassGen already (see drop)
                return False
            entry = _Entry(self.next_seq, event, now)
            self.next_seq += 1
            self.log.append(entry)
            self._queue.put(entry)  # in the order of the numbers, whichever thread gets here
        return True

    @property
    def chained(self) -> bool:
        """Whether a plugin chain feeds the app now."""
        return self.chain is not None and not self.fenced

    def pending(self) -> int:
        """How many events were taken and not yet delivered (1 while a drop is under way)."""
        with self.lock:
            self._trim()
            return len(self.log) + (self.fenced and not self.direct)

    def flush(self) -> None:
        """Ask the chain to deliver what it holds, after the events taken so far; never waits."""
        if not self.fenced:
            self._queue.put(_FLUSH)

    def close(self) -> None:
        """Close the chain; later events go straight to MassGen. Waits at most the deadline."""
        if self.fenced:
            return
        self._queue.put(_CLOSE)
        if not self._closed.wait(self.event_deadline) and not self.fenced:
            owner, what = self._innermost() or (self._holder(), "its TUI sink")
            self.drop(owner, f"{what} did not return within {seconds(self.event_deadline)} "
                             "when MassGen's TUI closed")

    # -- the chain's side ------------------------------------------------------------------

    def guard(self, owner: str, sink: Any) -> Guard:
        """`sink`, made by plugin `owner`, as the next plugin (or the pump) calls it."""
        self.plugins.append(owner)
        self._guards.append(Guard(self, owner, sink))
        return self._guards[-1]

    def calls(self) -> list[tuple[str | None, str, float, float]]:
        """This thread's calls into plugin code, innermost last: (plugin, what, start, limit)."""
        try:
            return self._local.stack  # type: ignore[no-any-return]
        except AttributeError:
            stack = self._local.stack = []
            self._stacks[threading.get_ident()] = stack
            return stack

    @contextmanager
    def watched(self, owner: str | None, what: str, limit: float) -> Iterator[None]:
        """Note a call into plugin code on this thread, for the watch."""
        stack = self.calls()
        stack.append((owner, what, time.monotonic(), limit))
        try:
            yield
        finally:
            stack.pop()

    def hand(self, event: Any) -> None:
        """Give MassGen one event from the chain's end, unless the chain was dropped."""
        try:
            theirs = self.convert(event)
        except Exception as exc:  # what a plugin made of it is not an event
            self.drop(self._holder(), f"its TUI sink passed on something that is not an event "
                                      f"({type(exc).__name__}: {exc})")
            return
        seq = event.seq
        with self.lock:
            index = -1 if seq is None else seq - self.base
            key = self.log[index].key if 0 <= index < len(self.log) else None
            # After a drop everything is late; an event (or one standing for it) delivered
            # already is a repeat (below `base`: delivered and forgotten): MassGen gets neither.
            if self.fenced or (seq is not None and (
                    index < 0 or seq <= self.delivered.get(key, -1))):
                self.refused += 1
                return
            try:
                self.deliver(theirs)
            except Exception:  # as MassGen's own emitter treats a listener's failure
                pass
            if key is not None:
                self.delivered[key] = seq
                self._trim()

    def drop(self, owner: str | None, problem: str | None) -> None:
        """Switch to MassGen's direct path: what the chain held goes to MassGen, in order, once.

        `problem` (None when the chain simply ended) makes one warning line naming `owner`.
        """
        with self.lock:
            if self.fenced:
                return
            self.fenced = True
            chained = self.chain is not None
            for entry in [e for e in self.log if not self._covered(e)]:
                try:
                    self.deliver(entry.event)  # the very object MassGen handed us
                except Exception:  # as MassGen's own emitter treats it
                    pass
            self.log.clear()
            # MassGen's method is called straight from now on, not through here: let go of
            # it (and so of the app), whatever the chain's threads still hold of this feed.
            self.deliver = _gone
        self._stop.set()
        self._queue.put(_STOP)
        try:
            if chained:
                self.on_drop()
        finally:
            if problem is not None:
                who = "bridge" if owner is None else f"plugin '{owner}'"
                problem = " ".join(problem.split())
                if len(problem) > 300:
                    problem = problem[:299] + "…"
                runtime.warn(f"{who}: {problem}; {FALLBACK}")
            self.direct = True

    # -- internals --------------------------------------------------------------------------

    def _covered(self, entry: _Entry) -> bool:
        return entry.key is not None and entry.seq <= self.delivered.get(entry.key, -1)

    def _trim(self) -> None:
        """Forget the delivered events at the head of the log (the lock held)."""
        log = self.log
        while log and self._covered(log[0]):
            log.popleft()
            self.base += 1

    def _holder(self) -> str | None:
        """The plugin to name when the chain as a whole failed: its only one, if it has one."""
        return self.plugins[0] if len(self.plugins) == 1 else None

    def _pump(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # our own failure: MassGen's path still runs
            self.drop(None, f"the TUI's event pump failed ({type(exc).__name__}: {exc})")
        finally:
            self._closed.set()

    def _run(self) -> None:
        try:
            chain, classify = self.setup(self)
        except BaseException as exc:  # a plugin's, or a strict host's
            self.drop(self._holder(), f"building the TUI's chain raised {type(exc).__name__}: {exc}")
            return
        if chain is None:  # no plugin wraps it (or one failed, and the host said so)
            self.drop(None, None)
            return
        with self.lock:  # a drop is before this (and stops here) or after (and undoes it)
            if self.fenced:
                return
            self.chain, self.classify = chain, classify
            self.on_chain()
        while True:
            item = self._queue.get()
            if self.fenced:
                return
            if item is _FLUSH:
                chain.flush()
                classify.new_turn()
            elif item is _CLOSE:
                chain.close()
                self.drop(None, None)
                return
            elif item is not _STOP:
                self._emit(item)

    def _emit(self, entry: _Entry) -> None:
        try:
            ours = self.read(entry.event)
        except Exception as exc:  # not an event we can read: MassGen's own path
            self.drop(None, f"an event for MassGen's TUI could not be read ({type(exc).__name__})")
            return
        entry.key = (ours.agent_id, ours.event_type)
        ours = ours.stamped(entry.at, entry.seq)
        self.classify.before(ours)
        entry.fed = time.monotonic()
        self.chain.emit(ours)  # a Guard: nothing escapes it
        self.classify.after(ours)

    def _watch(self) -> None:
        # Time counts only while this thread gets to run on schedule: a wake-up that comes
        # late (the process starved of CPU, or stopped by a garbage collection) counts as two
        # ticks at most, so a busy machine is not taken for a stuck plugin.
        clock, last = 0.0, time.monotonic()
        seen: dict[tuple[Any, ...], float] = {}
        while not self._stop.wait(self.event_deadline / 4):
            now = time.monotonic()
            clock += min(now - last, self.event_deadline / 2)
            last = now
            found = self._overdue(clock, seen)
            if found is not None:
                self.drop(*found)
                return

    def _overdue(self, clock: float,
                 seen: dict[tuple[Any, ...], float]) -> tuple[str | None, str] | None:
        """The plugin to name and what it did, once a call or an event has waited too long.

        `seen`: when (on the watch's `clock`) each call in progress and the oldest event not
        delivered were first seen.
        """
        waiting: dict[tuple[Any, ...], tuple[str | None, str, float]] = {}
        with self.lock:
            self._trim()
            head = self.log[0] if self.log else None
        if head is not None and head.fed is not None:
            waiting[("event", head.seq)] = (
                self._holding(head), f"its TUI sink held an event for more than "
                                     f"{seconds(self.event_deadline)}", self.event_deadline)
        for ident, stack in list(self._stacks.items()):  # after the event: a call is named first
            for depth, (owner, what, started, limit) in enumerate(list(stack)):
                waiting[(ident, depth, started)] = (
                    owner, f"{what} did not return within {seconds(limit)}", limit)
        for key in list(seen):
            if key not in waiting:
                del seen[key]
        overdue = None
        for key, (owner, what, limit) in waiting.items():
            if clock - seen.setdefault(key, clock) > limit:
                overdue = (owner, what)  # the last, innermost call wins
        return overdue

    def _holding(self, entry: _Entry) -> str | None:
        """The innermost plugin that took `entry` (or one standing for it), as far as known."""
        for guard in self._guards:
            if guard.seen.get(entry.key, -1) >= entry.seq:
                return guard.owner
        return self.plugins[-1] if self.plugins else None

    def _innermost(self) -> tuple[str | None, str] | None:
        """The innermost call into plugin code in progress on any thread, if any."""
        for stack in list(self._stacks.values()):
            calls = list(stack)
            if calls:
                return calls[-1][0], calls[-1][1]
        return None


class Guard:
    """A plugin's sink as its caller sees it: each call noted for the watch, never raising."""

    __slots__ = ("feed", "owner", "seen", "sink")

    def __init__(self, feed: Feed, owner: str, sink: Any) -> None:
        """`sink` is plugin `owner`'s."""
        self.feed, self.owner, self.sink = feed, owner, sink
        self.seen: dict[tuple[Any, Any] | None, int] = {}  # (agent, type) -> highest seq taken

    def _call(self, what: str, method: Callable[..., Any], *args: Any) -> None:
        feed = self.feed
        if feed.fenced:
            return  # the app went direct: nothing more goes into the chain
        stack = feed.calls()
        stack.append((self.owner, f"its TUI sink's {what}", time.monotonic(), feed.event_deadline))
        try:
            method(*args)
        except BaseException as exc:  # the plugin's failure, whatever it raised
            feed.drop(self.owner, f"its TUI sink raised {type(exc).__name__}: {exc} in {what}")
        finally:
            stack.pop()

    def emit(self, event: Any) -> None:
        """Hand the plugin's sink one event."""
        try:  # to name the plugin that holds an event too long
            if event.seq is not None:
                self.seen[(event.agent_id, event.event_type)] = event.seq
        except Exception:  # what a plugin passed on may be anything
            pass
        self._call("emit", self.sink.emit, event)

    def flush(self) -> None:
        """Ask the plugin's sink to deliver what it holds."""
        self._call("flush", self.sink.flush)

    def close(self) -> None:
        """Close the plugin's sink."""
        self._call("close", self.sink.close)


class Terminal:
    """The chain's end: each event to MassGen's own method (once, and never after a drop)."""

    def __init__(self, feed: Feed) -> None:
        """The end of `feed`'s chain."""
        self.feed = feed

    def emit(self, event: Any) -> None:
        """Hand one event to MassGen."""
        self.feed.hand(event)

    def flush(self) -> None:
        """Nothing is held here."""

    def close(self) -> None:
        """Nothing to release."""
