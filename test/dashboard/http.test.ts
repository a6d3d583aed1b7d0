import { describe, expect, it } from 'vitest';
import { loopbackHosts, sameOrigin } from '../../src/dashboard/http.js';

describe('the names the dashboard answers to', () => {
  it('are 127.0.0.1 and localhost with the port; on port 80 also without it, as a browser sends them', () => {
    expect(loopbackHosts(8080)).toEqual(['127.0.0.1:8080', 'localhost:8080']);
    // RFC 9110 §7.2: a browser (and fetch) leaves HTTP's default port out of Host and Origin.
    expect(loopbackHosts(80)).toEqual(['127.0.0.1:80', 'localhost:80', '127.0.0.1', 'localhost']);
    expect(sameOrigin('http://127.0.0.1', loopbackHosts(80))).toBe(true);
    expect(sameOrigin('http://127.0.0.1', loopbackHosts(8080))).toBe(false);
    expect(sameOrigin('http://evil.example', loopbackHosts(80))).toBe(false);
    expect(sameOrigin(undefined, loopbackHosts(80))).toBe(true);
  });
});
