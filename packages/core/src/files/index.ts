/**
 * `@cascadence/core/files`: Node-only helpers for files several processes share (a schedules
 * file, the CLI's task state): an inter-process lock and an atomic replace. Kept out of the main
 * entry so that code which never writes shared files does not load them.
 */
export { withFileLock, type LockOptions } from './lock';
export { writeFileAtomic, type FileSignature, type WriteFileAtomicOptions } from './atomic-write';
export { fileErrorReason } from './file-error';
