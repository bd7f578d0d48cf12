// @ts-check
/**
 * The event stream of a wall screen that runs for days: `GET /api/stream`
 * kept open through server restarts and network drops.
 *
 * While the browser retries by itself (readyState CONNECTING) its own retry
 * keeps `Last-Event-ID`, so the server replays what was missed or sends
 * `resync`. When the browser gives up (CLOSED: the server answered an error,
 * e.g. a 502 from a proxy during a restart) or stays unconnected past the
 * backoff, the stream is closed and opened again after a backoff that
 * doubles from 1 s up to 30 s and starts over once connected; a stream
 * opened anew (no `Last-Event-ID`) counts as a resync, so the page refetches.
 *
 * Memory: one EventSource at a time; its listeners are added once per
 * EventSource (never per event) and the old one is closed before a new one
 * is made, so nothing piles up over days.
 */

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30000;

/**
 * @typedef {Object} StreamHandlers
 * @property {Record<string, (data: any) => void>} events handler per event kind (JSON data)
 * @property {() => void} resync the page reloads its state (missed events, restart, new connection)
 * @property {(state: 'live' | 'connecting' | 'down') => void} status
 * @property {() => void} [closed] the browser gave up on a stream (an error answer: a lost session, a proxy's 502)
 */

/**
 * Opens the stream and keeps it open; answers a handle for the tests and the console.
 * @param {StreamHandlers} h
 */
export function keepStream(h) {
  /** @type {EventSource | null} */
  let es = null;
  let backoff = MIN_BACKOFF_MS;
  let since = Date.now(); // when the current attempt started
  let opens = 0;
  let reconnects = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;

  const open = () => {
    timer = null;
    if (es) es.close();
    since = Date.now();
    h.status('connecting');
    const s = new EventSource('/api/stream');
    es = s;
    let first = true;
    s.onopen = () => {
      if (s !== es) return;
      backoff = MIN_BACKOFF_MS;
      h.status('live');
      opens += 1;
      // a fresh EventSource has no Last-Event-ID: what happened while away is only in a refetch
      if (first && opens > 1) h.resync();
      first = false;
    };
    s.onerror = () => {
      if (s !== es) return;
      h.status(s.readyState === EventSource.CLOSED ? 'down' : 'connecting');
      if (s.readyState === EventSource.CLOSED) {
        h.closed?.();
        later();
      }
    };
    for (const [kind, fn] of Object.entries(h.events)) {
      s.addEventListener(kind, (e) => {
        if (s !== es) return;
        let data;
        try { data = JSON.parse(/** @type {MessageEvent} */ (e).data); } catch { return; }
        fn(data);
      });
    }
    s.addEventListener('resync', () => { if (s === es) h.resync(); });
  };

  /** Opens a new stream after the backoff (once). */
  const later = () => {
    if (timer) return;
    reconnects += 1;
    timer = setTimeout(open, backoff);
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
  };

  // the watchdog: a stream not open for longer than the backoff (the browser's own retries failing) starts over
  const watchdog = setInterval(() => {
    if (!es || timer) return;
    if (es.readyState === EventSource.OPEN) { since = Date.now(); return; }
    if (Date.now() - since > Math.max(backoff, 5000)) {
      h.status('down');
      later();
    }
  }, 1000);

  open();
  return {
    /** 'connecting' | 'open' | 'closed' */
    state: () => (es ? ['connecting', 'open', 'closed'][es.readyState] : 'closed'),
    opens: () => opens,
    reconnects: () => reconnects,
    stop: () => { clearInterval(watchdog); if (timer) clearTimeout(timer); es?.close(); es = null; },
  };
}
