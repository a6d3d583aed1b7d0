#!/usr/bin/env node
/**
 * The rx-recovery command line: the workflow demo, pattern tuning (classify, validate), and
 * the live dashboard.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { dashboardCommand } from './dashboard.js';
import { formatReport, runDemo } from './demo.js';
import { escalationsCommand } from './escalations.js';
import { checkRedis, fleetWorker, formatFleet, runFleetDemo } from './fleet.js';
import { classifyCommand, validateCommand } from './patterns.js';
import { numberOption, USAGE, UsageError } from './usage.js';

/** The flags of the workflow demo (`demo`), and those of the fleet demo (`demo --fleet`). */
const WORKFLOW_FLAGS = [
  'contracts',
  'fault-rate',
  'seed',
  'concurrency',
  'time-scale',
  'json',
  'await-human',
];
const FLEET_FLAGS = ['workers', 'callers', 'redis'];

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        contracts: { type: 'string' },
        'fault-rate': { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        'time-scale': { type: 'string' },
        json: { type: 'boolean' },
        patterns: { type: 'string' },
        port: { type: 'string' },
        redis: { type: 'string' },
        demo: { type: 'boolean' },
        'await-human': { type: 'boolean' },
        fleet: { type: 'boolean' },
        workers: { type: 'string' },
        callers: { type: 'string' },
        prefix: { type: 'string' },
        value: { type: 'string' },
        retry: { type: 'boolean' },
        abort: { type: 'boolean' },
        reason: { type: 'string' },
        complete: { type: 'boolean' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // Node's messages run on with advice about '--'; the first sentence says what is wrong.
    const message = (error as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new UsageError(
      unknown === null
        ? (message.split(/\.(?:\s|$)/)[0] ?? message)
        : `unknown option ${unknown[1]} (try: rx-recovery help)`,
    );
  }
  const { values, positionals } = parsed;
  if (values.version === true) {
    const manifest = new URL('../package.json', import.meta.url);
    process.stdout.write(
      `${(JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version}\n`,
    );
    return 0;
  }
  const [command = 'help', ...rest] = positionals;
  if (command === 'fleet-worker') return fleetWorker(rest[0] ?? '{}'); // a child of demo --fleet
  const allowed: Record<string, string[]> = {
    demo: [...WORKFLOW_FLAGS, 'fleet', ...FLEET_FLAGS],
    classify: ['patterns'],
    validate: [],
    dashboard: ['port', 'redis', 'prefix', 'demo'],
    escalations: ['redis', 'prefix', 'value', 'retry', 'abort', 'reason', 'complete'],
    help: [],
  };
  const accepted = allowed[command];
  if (accepted === undefined)
    throw new UsageError(`unknown command "${command}" (try: rx-recovery help)`);
  for (const flag of Object.keys(values)) {
    if (flag !== 'help' && !accepted.includes(flag))
      throw new UsageError(`${command} does not take --${flag}`);
  }
  if (command === 'help' || values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const string = (name: string) => values[name] as string | undefined;

  switch (command) {
    case 'demo': {
      if (rest.length > 0) throw new UsageError(`demo takes no arguments, got "${rest[0]}"`);
      const fleetOnly = FLEET_FLAGS.find(
        (flag) => values.fleet !== true && values[flag] !== undefined,
      );
      if (fleetOnly !== undefined) throw new UsageError(`--${fleetOnly} goes with --fleet`);
      const workflowOnly = WORKFLOW_FLAGS.find(
        (flag) => values.fleet === true && values[flag] !== undefined,
      );
      if (workflowOnly !== undefined)
        throw new UsageError(`--${workflowOnly} goes with demo, not with demo --fleet`);
      if (values.fleet === true) {
        const fleet = {
          workers: numberOption('workers', string('workers'), 4, {
            min: 1,
            max: 32,
            integer: true,
          }),
          callers: numberOption('callers', string('callers'), 25, {
            min: 1,
            max: 500,
            integer: true,
          }),
          durationMs: 6000,
          downAtMs: 1000,
          upAtMs: 4000,
          ...(string('redis') === undefined ? {} : { redis: string('redis') as string }),
        };
        if (fleet.redis !== undefined) await checkRedis(fleet.redis);
        process.stdout.write(
          `rx-recovery demo --fleet: ${fleet.workers} worker processes × ${fleet.callers} callers against a local service that is down from 1 s to 4 s of each 6 s run\n`,
        );
        // SIGINT or SIGTERM stops the run: its workers and its service end with it.
        const signal = Promise.race([
          once(process, 'SIGINT').then(() => 'SIGINT' as const),
          once(process, 'SIGTERM').then(() => 'SIGTERM' as const),
        ]);
        const runs = await runFleetDemo(fleet, process.stdout, signal);
        if (runs === undefined) return (await signal) === 'SIGINT' ? 130 : 143;
        process.stdout.write(`${formatFleet(runs, fleet)}\n`);
        return 0;
      }
      const options = {
        contracts: numberOption('contracts', string('contracts'), 50, {
          min: 1,
          max: 100_000,
          integer: true,
        }),
        faultRate: numberOption('fault-rate', string('fault-rate'), 0.3, {
          min: 0,
          max: 1,
          integer: false,
        }),
        seed: numberOption('seed', string('seed'), 42, { min: 0, max: 2 ** 32 - 1, integer: true }),
        concurrency: numberOption('concurrency', string('concurrency'), 4, {
          min: 1,
          max: 1000,
          integer: true,
        }),
        timeScale: numberOption('time-scale', string('time-scale'), 0.05, {
          min: 0,
          max: 10,
          integer: false,
        }),
        json: values.json === true,
        awaitHuman: values['await-human'] === true,
      };
      const started = performance.now();
      if (!options.json) {
        process.stdout.write(
          `rx-recovery demo: ${options.contracts} contracts through parse → render → generate → validate → review, ` +
            `fault rate ${options.faultRate}, seed ${options.seed}\n`,
        );
      }
      const report = await runDemo(options, process.stdout);
      process.stdout.write(
        options.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : `${formatReport(report, performance.now() - started)}\n`,
      );
      return 0;
    }
    case 'classify': {
      if (rest.length !== 1)
        throw new UsageError('classify takes one message: rx-recovery classify "<message>"');
      process.stdout.write(`${classifyCommand(rest[0] as string, string('patterns'))}\n`);
      return 0;
    }
    case 'escalations': {
      const [action, id, ...extra] = rest;
      if (action !== 'list' && action !== 'resolve') {
        throw new UsageError(
          'escalations takes list or resolve: rx-recovery escalations list --redis URL',
        );
      }
      if (extra.length > 0 || (action === 'list' && id !== undefined)) {
        throw new UsageError(
          `escalations ${action} takes ${action === 'list' ? 'no arguments' : 'one id'}`,
        );
      }
      process.stdout.write(
        `${await escalationsCommand({
          action,
          id,
          redis: string('redis'),
          prefix: string('prefix'),
          value: string('value'),
          retry: values.retry === true,
          abort: values.abort === true,
          reason: string('reason'),
          complete: values.complete === true,
        })}\n`,
      );
      return 0;
    }
    case 'dashboard': {
      if (rest.length > 0) throw new UsageError(`dashboard takes no arguments, got "${rest[0]}"`);
      const stopped = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
      return dashboardCommand(
        {
          port: numberOption('port', string('port'), 0, { min: 0, max: 65_535, integer: true }),
          redis: string('redis'),
          prefix: string('prefix'),
          demo: values.demo === true,
        },
        process.stdout,
        stopped,
      );
    }
    default: {
      if (rest.length !== 1)
        throw new UsageError('validate takes one file: rx-recovery validate <file.json|file.yaml>');
      const { output, exitCode } = validateCommand(rest[0] as string);
      (exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
      return exitCode;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`rx-recovery: ${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `rx-recovery: internal error: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 70;
    }
  },
);
