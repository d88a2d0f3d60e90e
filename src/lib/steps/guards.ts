/**
 * The two guards the choreography adds: the watchdog (an operation's deadline) and the dead-letter handler.
 * Each is a module of its own (watchdog.ts, dead-letter.ts), imported by its Lambda handler; this re-exports
 * both for the local runtime and tests.
 */
export { enforceDeadline } from './watchdog';
export { handleDeadLetter, stepOfDeadLetterQueue } from './dead-letter';
