/**
 * Progress output. On a terminal: one live line per agent, redrawn in place (ANSI: cursor to the
 * start of the block, clear each line) twice a second. Otherwise (CI, a pipe, a file): plain
 * progress lines every few seconds, no escape codes.
 */

export interface AgentRow {
  readonly name: string;
  /** Messages per second over the last refresh interval. */
  readonly rate: number;
  readonly total: number;
  /** Inventor: sent, not yet acknowledged; consumers: fetched, not yet done. */
  readonly inFlight: number;
  /** Consumers: this run's acknowledged events not yet handled. */
  readonly lag?: number | undefined;
  readonly p99: number | undefined;
  readonly p99Kind: 'ack' | 'e2e';
  readonly deadLettered?: number | undefined;
  /** Publishes that failed (inventor: BeverageCreated, task manager: TaskCreated); undefined: publishes nothing. */
  readonly failed?: number | undefined;
}

export interface Frame {
  readonly runId: string;
  /** Seconds since publishing started. */
  readonly elapsedS: number;
  readonly durationS: number;
  /** How long the inventor published; undefined while it still does. */
  readonly publishedS: number | undefined;
  readonly phase: string;
  readonly rows: readonly AgentRow[];
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 10) return ms.toFixed(1);
  return fmt(ms);
}

export const LEGEND: readonly string[] = [
  'p99 ms: inventor = send() → broker acknowledgement; task-manager = BeverageCreated.created_at → handled',
  '        in a worker (end to end); notifier = TaskCreated.created_at → handled (end to end).',
  'lag: this run\'s acknowledged events the agent has not handled yet.',
];

const COLUMNS: ReadonlyArray<readonly [string, number]> = [
  ['agent', -24],
  ['msgs/s', 9],
  ['total', 12],
  ['in flight', 11],
  ['lag', 11],
  ['p99 ms', 13],
  ['dead-lettered', 15],
  ['failed', 8],
];

function cell(text: string, width: number): string {
  return width < 0 ? text.padEnd(-width) : text.padStart(width);
}

function header(): string {
  return '  ' + COLUMNS.map(([t, w]) => cell(t, w)).join('');
}

function rowCells(r: AgentRow): string {
  const values = [
    r.name,
    fmt(r.rate),
    fmt(r.total),
    fmt(r.inFlight),
    r.lag === undefined ? '-' : fmt(r.lag),
    `${r.p99Kind} ${fmtMs(r.p99)}`,
    r.deadLettered === undefined ? '-' : fmt(r.deadLettered),
    r.failed === undefined ? '-' : fmt(r.failed),
  ];
  return '  ' + values.map((v, i) => cell(v, COLUMNS[i]![1])).join('');
}

function title(f: Frame): string {
  const head = `Go Coffee demo · run ${f.runId}`;
  if (f.publishedS === undefined) return `${head} · ${f.elapsedS.toFixed(1)} s of ${f.durationS} s · ${f.phase}`;
  return `${head} · published for ${f.publishedS.toFixed(1)} s · ${f.phase} (${(f.elapsedS - f.publishedS).toFixed(1)} s)`;
}

export interface Display {
  update(frame: Frame): void;
  /** A line of its own (e.g. "stopping: ..."), printed without disturbing the live block. */
  note(text: string): void;
  /** Draws the last frame for good. */
  finish(frame: Frame): void;
}

/** In-place live lines on a terminal. */
export class LiveDisplay implements Display {
  #lines = 0;
  #last: Frame | undefined;
  readonly #out: NodeJS.WriteStream;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  #draw(frame: Frame, extra: readonly string[] = []): void {
    const width = Math.max(40, (this.#out.columns ?? 120) - 1);
    const hint = frame.publishedS === undefined ? ' · Ctrl-C stops cleanly' : '';
    const lines = [...extra, title(frame) + hint, header(), ...frame.rows.map(rowCells)].map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l));
    // Back to the start of the block, then overwrite each line (clear it first: it may be shorter).
    let s = this.#lines > 0 ? `\x1b[${this.#lines}F` : '';
    for (const l of lines) s += `\x1b[2K${l}\n`;
    this.#out.write(s);
    this.#lines = lines.length - extra.length;
    this.#last = frame;
  }

  update(frame: Frame): void {
    this.#draw(frame);
  }

  note(text: string): void {
    if (this.#last === undefined) this.#out.write(text + '\n');
    else this.#draw(this.#last, [text]); // the note replaces the block's first line, the block moves down
  }

  finish(frame: Frame): void {
    this.#draw(frame);
    this.#lines = 0;
  }
}

/** Plain progress lines (CI logs, pipes): no escape codes; main.ts calls update() every few seconds. */
export class PlainDisplay implements Display {
  readonly #out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  update(f: Frame): void {
    const t = `[${f.elapsedS.toFixed(1).padStart(6)}s]`;
    const lines = f.rows.map((r) => {
      const parts = [`${fmt(r.rate)} msgs/s`, `total ${fmt(r.total)}`, `in flight ${fmt(r.inFlight)}`];
      if (r.lag !== undefined) parts.push(`lag ${fmt(r.lag)}`);
      parts.push(r.p99 === undefined ? `p99 ${r.p99Kind} -` : `p99 ${r.p99Kind} ${fmtMs(r.p99)} ms`);
      if (r.deadLettered !== undefined) parts.push(`dead-lettered ${fmt(r.deadLettered)}`);
      if (r.failed !== undefined) parts.push(`failed ${fmt(r.failed)}`);
      return `${t} ${r.name}: ${parts.join(', ')}`;
    });
    const phase = f.publishedS === undefined ? f.phase : `${f.phase} (published for ${f.publishedS.toFixed(1)} s)`;
    this.#out.write(`${t} ${phase}\n${lines.join('\n')}\n`);
  }

  note(text: string): void {
    this.#out.write(text + '\n');
  }

  finish(frame: Frame): void {
    this.update(frame);
  }
}
