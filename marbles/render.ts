import { TestScheduler } from 'rxjs/testing';
import type { MarbleCase } from './case.js';

/** What a line of a diagram shows at one frame. */
interface Mark {
  readonly frame: number;
  readonly kind: 'N' | 'E' | 'C';
  readonly label: string;
}

interface Line {
  readonly marks: readonly Mark[];
  /** Frames where a subscription starts, for the source line. */
  readonly subscribed: readonly number[];
}

const LEFT = 40;
const FRAME_PX = 32;
const BREAK_PX = 150;
const SHORT_GAP = 5;
const PALETTE = ['#5b8def', '#f2a541', '#58b368', '#c86dd7', '#e2665f', '#3fb7c4', '#8c8c8c'];

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function color(label: string): string {
  let hash = 0;
  for (const char of label) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? '#5b8def';
}

/** Parses marbles as `TestScheduler.run` does (one frame per dash, `ms` progression). */
function parse(c: MarbleCase): { source: Line; result: Line } {
  let parsed: { source: Line; result: Line } | undefined;
  new TestScheduler(() => {}).run(() => {
    const toMarks = (marbles: string, offset = 0, until = Number.POSITIVE_INFINITY): Mark[] =>
      TestScheduler.parseMarbles(marbles, undefined, undefined, false, true)
        .filter((m) => m.frame + offset <= until)
        .map(({ frame, notification }) => ({
          frame: frame + offset,
          kind: notification.kind,
          label: notification.kind === 'N' ? String(notification.value) : '',
        }));
    const subscriptions = c.subscriptions.map((s) =>
      TestScheduler.parseMarblesAsSubscriptions(s, true),
    );
    const sourceMarks = subscriptions.flatMap(({ subscribedFrame, unsubscribedFrame }) =>
      toMarks(c.source, subscribedFrame, unsubscribedFrame),
    );
    parsed = {
      source: { marks: sourceMarks, subscribed: subscriptions.map((s) => s.subscribedFrame) },
      result: { marks: toMarks(c.expected), subscribed: [] },
    };
  });
  if (parsed === undefined) throw new Error('unreachable: run() is synchronous');
  return parsed;
}

/** A compressed time axis: short gaps to scale, long ones shortened and marked. */
function axis(frames: readonly number[]) {
  const keys = [...new Set([0, ...frames])].sort((a, b) => a - b);
  const xs = new Map<number, number>();
  const breaks: { x: number; gap: number }[] = [];
  let x = LEFT;
  keys.forEach((frame, i) => {
    if (i > 0) {
      const gap = frame - (keys[i - 1] ?? 0);
      if (gap <= SHORT_GAP) {
        x += gap * FRAME_PX;
      } else {
        breaks.push({ x: x + BREAK_PX / 2, gap });
        x += BREAK_PX;
      }
    }
    xs.set(frame, x);
  });
  return { keys, at: (frame: number) => xs.get(frame) ?? LEFT, breaks, end: x };
}

function drawLine(line: Line, y: number, at: (frame: number) => number, end: number): string[] {
  const out = [
    `<line x1="${LEFT - 20}" y1="${y}" x2="${end}" y2="${y}" class="axis"/>`,
    `<path d="M${end} ${y - 6} L${end + 12} ${y} L${end} ${y + 6} Z" class="arrow"/>`,
  ];
  for (const frame of line.subscribed) {
    out.push(
      `<line x1="${at(frame)}" y1="${y - 22}" x2="${at(frame)}" y2="${y + 22}" class="subscribe"/>`,
    );
  }
  const seen = new Map<number, number>();
  for (const mark of line.marks) {
    const stacked = seen.get(mark.frame) ?? 0;
    seen.set(mark.frame, stacked + 1);
    const x = at(mark.frame) + stacked * 20;
    if (mark.kind === 'N') {
      out.push(
        `<circle cx="${x}" cy="${y}" r="13" fill="${color(mark.label)}" class="value"/>`,
        `<text x="${x}" y="${y + 5}" class="label">${escapeXml(mark.label)}</text>`,
      );
    } else if (mark.kind === 'C') {
      out.push(`<line x1="${x}" y1="${y - 15}" x2="${x}" y2="${y + 15}" class="complete"/>`);
    } else {
      out.push(
        `<line x1="${x - 10}" y1="${y - 10}" x2="${x + 10}" y2="${y + 10}" class="error"/>`,
        `<line x1="${x - 10}" y1="${y + 10}" x2="${x + 10}" y2="${y - 10}" class="error"/>`,
      );
    }
  }
  return out;
}

/**
 * Renders a marble case as an SVG diagram in the RxJS style: the source line (replayed
 * at each of its subscriptions, each start marked), the operator box, the result line,
 * completions as bars, errors as crosses, and a time axis whose long gaps are shortened
 * and labelled. Deterministic: the same case always gives the same text.
 */
export function renderMarbleCase(c: MarbleCase): string {
  const { source, result } = parse(c);
  const frames = [...source.marks, ...result.marks].map((m) => m.frame).concat(source.subscribed);
  const { keys, at, breaks, end } = axis(frames);
  const right = end + 60;
  const operatorWidth = Math.max(right - 2 * LEFT + 20, c.operator.length * 8 + 48);
  const titleWidth = c.title.length * 8.6 + 2 * LEFT;
  const width = Math.ceil(Math.max(right + 20, operatorWidth + 2 * LEFT - 20, titleWidth));
  const [titleY, sourceY, boxY, resultY, axisY] = [24, 70, 108, 190, 236];
  const ticks: string[] = [];
  let lastLabelX = Number.NEGATIVE_INFINITY;
  for (const frame of keys) {
    const x = at(frame);
    ticks.push(`<line x1="${x}" y1="${axisY - 5}" x2="${x}" y2="${axisY + 3}" class="tick"/>`);
    const label = `${frame}`;
    if (x - lastLabelX >= label.length * 7 + 8) {
      ticks.push(`<text x="${x}" y="${axisY + 18}" class="time">${label}</text>`);
      lastLabelX = x;
    }
  }
  const breakMarks = breaks.flatMap(({ x, gap }) => [
    `<text x="${x}" y="${sourceY - 26}" class="gap">+${gap}ms</text>`,
    `<text x="${x}" y="${axisY + 4}" class="gap">≈</text>`,
  ]);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="264" viewBox="0 0 ${width} 264" role="img" aria-label="${escapeXml(c.title)}">`,
    '<style>',
    '  .title { font: 600 14px sans-serif; fill: #222; }',
    '  .axis { stroke: #333; stroke-width: 2; } .arrow { fill: #333; }',
    '  .value { stroke: #333; stroke-width: 1.5; } .label { font: 600 13px monospace; fill: #fff; text-anchor: middle; }',
    '  .complete { stroke: #333; stroke-width: 3; } .error { stroke: #d33; stroke-width: 3; }',
    '  .subscribe { stroke: #999; stroke-width: 1; stroke-dasharray: 3 3; }',
    '  .box { fill: #f5f7fb; stroke: #333; stroke-width: 1.5; } .operator { font: 13px monospace; fill: #111; text-anchor: middle; }',
    '  .tick { stroke: #999; } .time { font: 11px sans-serif; fill: #666; text-anchor: middle; } .gap { font: 11px sans-serif; fill: #888; text-anchor: middle; }',
    '</style>',
    `<rect width="${width}" height="264" fill="#fff"/>`,
    `<text x="${LEFT - 20}" y="${titleY}" class="title">${escapeXml(c.title)}</text>`,
    ...drawLine(source, sourceY, at, end + 20),
    `<rect x="${LEFT - 20}" y="${boxY}" width="${width - 2 * LEFT + 40}" height="44" rx="4" class="box"/>`,
    `<text x="${width / 2}" y="${boxY + 27}" class="operator">${escapeXml(c.operator)}</text>`,
    ...drawLine(result, resultY, at, end + 20),
    `<line x1="${LEFT - 20}" y1="${axisY}" x2="${end + 20}" y2="${axisY}" class="tick"/>`,
    ...ticks,
    ...breakMarks,
    `<text x="${end + 32}" y="${axisY + 18}" class="time">ms</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** The file name of a case's diagram: its title, slugged. */
export function diagramName(c: MarbleCase): string {
  return `${c.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80)
    .replace(/-$/, '')}.svg`;
}
