import type { Clock } from '../ports';

/** Real time: what the Lambda functions run on. `sleep` is a plain timer. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
