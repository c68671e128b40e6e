/**
 * Helpers of the bad-input tests.
 */
import assert from 'node:assert/strict';

/** Collects unhandled rejections and uncaught exceptions while installed. */
export function escapeGuard(): { readonly escaped: unknown[]; dispose(): void } {
  const escaped: unknown[] = [];
  const onRejection = (reason: unknown) => escaped.push(reason);
  const onException = (err: unknown) => escaped.push(err);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    escaped,
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/** Fails with every problem listed (one assertion for a contract with several parts). */
export function assertNoProblems(problems: readonly string[], contract: string): void {
  if (problems.length === 0) return;
  assert.fail(`${contract}:\n        - ${problems.join('\n        - ')}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
