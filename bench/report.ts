import type { ScenarioResult, VariantResult } from './harness.js';

/** Three significant figures, with thousands separators above 1,000. */
export function fmt(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (value < 0) return `−${fmt(-value)}`;
  const abs = value;
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs === 0) return '0';
  return value.toPrecision(2);
}

export function fmtRatio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

export function fmtBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return '—';
  const sign = bytes < 0 ? '−' : '';
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024) return `${sign}${(abs / 1024 / 1024).toFixed(2)} MB`;
  if (abs >= 1024) return `${sign}${(abs / 1024).toFixed(2)} KB`;
  return `${sign}${abs.toFixed(0)} B`;
}

/** Escapes what would break a markdown table cell. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function extraCell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return fmt(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** A markdown table of one scenario: median, min–max, ratio to the baseline, extra columns. */
export function scenarioTable(scenario: ScenarioResult): string {
  if (scenario.variants.length === 0) {
    // A scenario skipped in this run: its title and why.
    return [`### ${scenario.title}`, '', ...(scenario.notes ?? []).map((n) => `- ${n}`)].join('\n');
  }
  const columns = scenario.columns ?? [];
  const spread = scenario.spread !== false;
  const ratio = scenario.baseline !== null;
  const header = [
    'variant',
    `median (${scenario.unit})`,
    ...(spread ? ['min–max'] : []),
    ...(ratio ? ['ratio'] : []),
    ...columns.map((c) => c.title),
  ];
  const align = [
    '---',
    '--:',
    ...(spread ? ['--:'] : []),
    ...(ratio ? ['--:'] : []),
    ...columns.map(() => '---'),
  ];
  const row = (v: VariantResult) => [
    v.name === scenario.baseline ? `${v.name} *(baseline)*` : v.name,
    fmt(v.median),
    ...(spread ? [v.min === null || v.max === null ? '—' : `${fmt(v.min)}–${fmt(v.max)}`] : []),
    ...(ratio ? [fmtRatio(v.ratio)] : []),
    ...columns.map((c) => extraCell(v.extra?.[c.key])),
  ];
  const lines = [
    `### ${scenario.title}`,
    '',
    `| ${header.map(cell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...scenario.variants.map((v) => `| ${row(v).map(cell).join(' | ')} |`),
  ];
  const notes = scenario.notes ?? [];
  const noted = scenario.variants.filter((v) => v.note !== undefined);
  if (notes.length > 0 || noted.length > 0) lines.push('');
  for (const v of noted) lines.push(`- *${v.name}*: ${v.note}`);
  for (const note of notes) lines.push(`- ${note}`);
  return lines.join('\n');
}

/** One target of the issue, with what this run measured. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

export function targetsTable(targets: readonly TargetCheck[]): string {
  const verdict = (met: boolean | null) => (met === null ? 'n/a' : met ? '**met**' : '**missed**');
  return [
    '### Targets',
    '',
    '| target | measured | verdict |',
    '| --- | --- | --- |',
    ...targets.map((t) => `| ${cell(t.target)} | ${cell(t.measured)} | ${verdict(t.met)} |`),
  ].join('\n');
}
