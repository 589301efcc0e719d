/**
 * A minimal `text/event-stream` parser (WHATWG HTML §9.2): lines end with CRLF, LF or CR;
 * `field: value` lines (one leading space of the value dropped); `:` starts a comment; a
 * blank line ends a frame; several `data:` lines are joined with LF.
 */

/** One dispatched Server-Sent Events frame. */
export interface SseFrame {
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The joined `data:` lines. */
  data: string;
  /** The `id:` field of this frame, if it had one. */
  id?: string;
}

/**
 * Parses an SSE body into frames. Stops (and cancels the body) when the consumer stops
 * iterating; an incomplete last frame is dropped, as the standard says.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let done = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        return;
      }
      buf += decoder.decode(chunk.value, { stream: true });
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buf);
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (!m || (m[0] === '\r' && m.index === buf.length - 1)) break;
        const line = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        if (line === '') {
          if (data.length > 0) {
            const frame: SseFrame = { event: event || 'message', data: data.join('\n') };
            if (id !== undefined) frame.id = id;
            yield frame;
          }
          data = [];
          event = '';
          id = undefined;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
      }
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
