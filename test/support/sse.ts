/** A client of the API's server-sent event streams (GET /classes/:id/events), for tests and the bench. */

export interface SseEvent {
  type: string;
  data: any;
}

/** Reads a text/event-stream to its end (or the deadline); returns its content type and events. */
export async function readEvents(url: string, token: string | null, timeoutMs = 120_000): Promise<{ status: number; contentType: string; events: SseEvent[]; ended: boolean }> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  const contentType = response.headers.get('content-type') ?? '';
  if (!response.ok || !response.body) return { status: response.status, contentType, events: [], ended: true };
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const type = /^event: ?(.*)$/m.exec(block)?.[1];
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.replace(/^data: ?/, '')).join('\n');
        let parsed: unknown = data || undefined;
        try {
          parsed = data ? JSON.parse(data) : undefined;
        } catch {
          // not JSON: keep the text, the assertions say what came
        }
        if (type || data) events.push({ type: type ?? 'message', data: parsed });
      }
    }
    ended = true;
  } catch (error) {
    if (!(error instanceof Error && /abort|timeout/i.test(error.name + error.message))) throw error;
  }
  return { status: response.status, contentType, events, ended };
}
