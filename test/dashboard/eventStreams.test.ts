import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EventStreams, frame } from '../../src/dashboard/eventStreams.js';

/** A response whose socket takes `room` writes, then reports itself full until drained. */
function fakeResponse(room: number) {
  const emitter = new EventEmitter();
  const written: string[] = [];
  let left = room;
  const response = Object.assign(emitter, {
    writableEnded: false,
    destroyed: false,
    socket: { setNoDelay: () => undefined },
    writeHead: () => response,
    write(text: string) {
      written.push(text);
      left -= 1;
      return left > 0;
    },
    end() {
      response.writableEnded = true;
      emitter.emit('close');
    },
    drain(more: number) {
      left = more;
      emitter.emit('drain');
    },
  });
  return { response, written };
}

describe('EventStreams', () => {
  it('skips a page whose socket is full, then sends it one whole picture when it drains', () => {
    let pictures = 0;
    const streams = new EventStreams(() => frame({ full: true, n: ++pictures }));
    const slow = fakeResponse(2);
    const fast = fakeResponse(1000);
    streams.open(slow.response as unknown as ServerResponse, () => undefined);
    streams.open(fast.response as unknown as ServerResponse, () => undefined);
    for (let i = 1; i <= 100; i++) streams.broadcast(frame({ full: false, i }));
    expect(fast.written).toHaveLength(101);
    // The slow page took the picture and one update; then it was full: nothing queued for it.
    expect(slow.written).toHaveLength(2);
    slow.response.drain(1000);
    expect(slow.written).toHaveLength(3);
    expect(slow.written[2]).toBe(`data: ${JSON.stringify({ full: true, n: 3 })}\n\n`);
    streams.broadcast(frame({ full: false, i: 101 }));
    expect(slow.written).toHaveLength(4);
  });

  it('forgets a page that closed, and ends every stream on closeAll', () => {
    let closed = 0;
    const streams = new EventStreams(() => frame({ full: true }));
    const a = fakeResponse(1000);
    const b = fakeResponse(1000);
    streams.open(a.response as unknown as ServerResponse, () => closed++);
    streams.open(b.response as unknown as ServerResponse, () => closed++);
    a.response.emit('close');
    expect(streams.size).toBe(1);
    expect(closed).toBe(1);
    streams.broadcast('data: {}\n\n');
    expect(a.written).toHaveLength(1);
    streams.closeAll();
    expect(b.response.writableEnded).toBe(true);
    expect(streams.size).toBe(0);
  });
});
