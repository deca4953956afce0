import { CascadenceError, ErrorCode } from '../errors';

/** `CASCADENCE_FILE_UNWRITABLE` naming `path` (EISDIR and friends carry no path of their own). */
export function fileError(path: string, error: unknown, action: string, what: string): CascadenceError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'EISDIR'
      ? 'it is a directory, not a file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ELOOP'
          ? 'too many levels of symbolic links'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a directory'
            : ((error as Error | undefined)?.message ?? String(error));
  return new CascadenceError(ErrorCode.FILE_UNWRITABLE, `${path}: cannot ${action} the ${what}: ${reason}`, {
    details: { path, errno: code },
    cause: error,
  });
}
