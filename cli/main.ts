#!/usr/bin/env node
/**
 * The rx-recovery command line: the workflow demo, and pattern tuning (classify, validate).
 */
import { parseArgs } from 'node:util';
import { formatReport, runDemo } from './demo.js';
import { classifyCommand, validateCommand } from './patterns.js';
import { numberOption, USAGE, UsageError } from './usage.js';

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
  const [command = 'help', ...rest] = positionals;
  const allowed: Record<string, string[]> = {
    demo: ['contracts', 'fault-rate', 'seed', 'concurrency', 'time-scale', 'json'],
    classify: ['patterns'],
    validate: [],
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
    default: {
      if (rest.length !== 1)
        throw new UsageError('validate takes one file: rx-recovery validate <file.json>');
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
