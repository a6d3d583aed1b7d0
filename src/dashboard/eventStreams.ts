import type { ServerResponse } from 'node:http';
import { COMMON_HEADERS } from './http.js';

/** One open page: its response, and whether it is waiting for its socket to drain. */
interface Page {
  readonly response: ServerResponse;
  behind: boolean;
}

/** `update` as one server-sent event. JSON has no raw newline, so one `data:` line holds it. */
export const frame = (update: unknown) => `data: ${JSON.stringify(update)}\n\n`;

/**
 * The pages connected to the event stream, each O(1): a response and a flag. The same
 * frame text goes to every page. A page whose socket cannot take more (its buffer is
 * full: a slow or stalled tab) is skipped, and when the socket drains it gets one whole
 * picture instead of the frames it missed: nothing queues up per page but what the
 * socket already holds.
 */
export class EventStreams {
  private readonly pages = new Set<Page>();

  /** @param picture Builds the frame of a whole picture, for a page that opens or catches up. */
  constructor(private readonly picture: () => string) {}

  /** Pages connected now. */
  get size(): number {
    return this.pages.size;
  }

  /** Starts streaming to `response`: headers, the reconnection delay, then a whole picture. */
  open(response: ServerResponse, onClose: () => void): void {
    const page: Page = { response, behind: false };
    this.pages.add(page);
    response.on('close', () => {
      this.pages.delete(page);
      onClose();
    });
    response.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.socket?.setNoDelay(true);
    this.send(page, `retry: 2000\n\n${this.picture()}`);
  }

  /** Sends `text` (one or more frames) to every page that keeps up. */
  broadcast(text: string): void {
    for (const page of this.pages) if (!page.behind) this.send(page, text);
  }

  /** Ends every stream. */
  closeAll(): void {
    for (const page of this.pages) page.response.end();
    this.pages.clear();
  }

  private send(page: Page, text: string): void {
    const { response } = page;
    if (response.writableEnded || response.destroyed) return;
    if (response.write(text)) return;
    page.behind = true;
    response.once('drain', () => {
      page.behind = false;
      if (this.pages.has(page)) this.send(page, this.picture());
    });
  }
}
